'use strict'
/**
 * The real `@auth/prisma-adapter` for the import proofs: a Prisma client generated for the
 * test run from the schema the adapter documents (its SQLite and PostgreSQL flavours, plus an
 * app's extra columns), the tables Prisma Migrate creates for that schema, and the rows a test
 * writes through the peer's own adapter methods.
 *
 * Why this works on machines that reach the npm registry only: Prisma 7's client has no query
 * engine binary (its query compiler is WebAssembly shipped in the npm package, and the queries
 * run through a driver adapter: `@prisma/adapter-better-sqlite3`, `@prisma/adapter-pg`), and
 * `prisma generate` is WebAssembly too. Two parts of Prisma remain a native binary downloaded
 * from binaries.prisma.sh: the schema engine behind `migrate` and `db push` (so the tables are
 * created by the SQL below, the statements `prisma migrate dev` writes for this schema), and
 * the CLI's check that this binary is present, which it runs before `generate` too. That check
 * is answered with Prisma's documented override, `PRISMA_SCHEMA_ENGINE_BINARY`, naming a stand-in
 * that fails loudly if anything ever runs it; `generate` does not.
 */
const fs = require('node:fs')
const path = require('node:path')
const { randomUUID } = require('node:crypto')
const { spawnSync } = require('node:child_process')
const { userExtras, peerUser, peerAccount, peerAuthenticator } = require('./peer-fixtures.js')

const ROOT = path.join(__dirname, '..')

/** The models of the Auth.js Prisma docs for `provider`, with extra columns on User and Account. */
function schema(provider, output) {
  const sqlite = provider === 'sqlite'
  // The SQLite flavour of the docs gives Account and Session an id of their own, an optional
  // email, and @@unique where the PostgreSQL flavour has @@id.
  return `
datasource db {
  provider = "${provider}"
}

generator client {
  provider = "prisma-client-js"
  output   = ${JSON.stringify(output)}
}

model User {
  id            String          @id @default(cuid())
  name          String?
  email         String${sqlite ? '?' : ' '}         @unique
  emailVerified DateTime?
  image         String?
  accounts      Account[]
  sessions      Session[]
  Authenticator Authenticator[]

  createdAt DateTime @default(now())
  updatedAt DateTime @updatedAt

  role     String?
  age      Int?
  isStaff  Boolean?
  joinedAt DateTime?
}

model Account {
${sqlite ? '  id                String  @id @default(cuid())\n' : ''}  userId            String
  type              String
  provider          String
  providerAccountId String
  refresh_token     String?
  access_token      String?
  expires_at        Int?
  token_type        String?
  scope             String?
  id_token          String?
  session_state     String?

  createdAt DateTime @default(now())
  updatedAt DateTime @updatedAt

  tenant String?

  user User @relation(fields: [userId], references: [id], onDelete: Cascade)

  ${sqlite ? '@@unique' : '@@id'}([provider, providerAccountId])
}

model Session {
${sqlite ? '  id           String   @id @default(cuid())\n' : ''}  sessionToken String   @unique
  userId       String
  expires      DateTime
  user         User     @relation(fields: [userId], references: [id], onDelete: Cascade)

  createdAt DateTime @default(now())
  updatedAt DateTime @updatedAt
}

model VerificationToken {
  identifier String
  token      String
  expires    DateTime

  ${sqlite ? '@@unique' : '@@id'}([identifier, token])
}

model Authenticator {
  credentialID         String  @unique
  userId               String
  providerAccountId    String
  credentialPublicKey  String
  counter              Int
  credentialDeviceType String
  credentialBackedUp   Boolean
  transports           String?

  user User @relation(fields: [userId], references: [id], onDelete: Cascade)

  @@id([userId, credentialID])
}
`
}

/** The tables of that schema, as `prisma migrate dev` creates them on each database. */
const DDL = {
  sqlite: `
CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT,
    "email" TEXT,
    "emailVerified" DATETIME,
    "image" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "role" TEXT,
    "age" INTEGER,
    "isStaff" BOOLEAN,
    "joinedAt" DATETIME
);
CREATE TABLE "Account" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "providerAccountId" TEXT NOT NULL,
    "refresh_token" TEXT,
    "access_token" TEXT,
    "expires_at" INTEGER,
    "token_type" TEXT,
    "scope" TEXT,
    "id_token" TEXT,
    "session_state" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "tenant" TEXT,
    CONSTRAINT "Account_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE "Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sessionToken" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "expires" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE "VerificationToken" (
    "identifier" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "expires" DATETIME NOT NULL
);
CREATE TABLE "Authenticator" (
    "credentialID" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "providerAccountId" TEXT NOT NULL,
    "credentialPublicKey" TEXT NOT NULL,
    "counter" INTEGER NOT NULL,
    "credentialDeviceType" TEXT NOT NULL,
    "credentialBackedUp" BOOLEAN NOT NULL,
    "transports" TEXT,

    PRIMARY KEY ("userId", "credentialID"),
    CONSTRAINT "Authenticator_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE UNIQUE INDEX "Account_provider_providerAccountId_key" ON "Account"("provider", "providerAccountId");
CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session"("sessionToken");
CREATE UNIQUE INDEX "VerificationToken_identifier_token_key" ON "VerificationToken"("identifier", "token");
CREATE UNIQUE INDEX "Authenticator_credentialID_key" ON "Authenticator"("credentialID");
`,
  postgresql: `
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "email" TEXT NOT NULL,
    "emailVerified" TIMESTAMP(3),
    "image" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "role" TEXT,
    "age" INTEGER,
    "isStaff" BOOLEAN,
    "joinedAt" TIMESTAMP(3),

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "Account" (
    "userId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "providerAccountId" TEXT NOT NULL,
    "refresh_token" TEXT,
    "access_token" TEXT,
    "expires_at" INTEGER,
    "token_type" TEXT,
    "scope" TEXT,
    "id_token" TEXT,
    "session_state" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "tenant" TEXT,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("provider","providerAccountId")
);
CREATE TABLE "Session" (
    "sessionToken" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "expires" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL
);
CREATE TABLE "VerificationToken" (
    "identifier" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "expires" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "VerificationToken_pkey" PRIMARY KEY ("identifier","token")
);
CREATE TABLE "Authenticator" (
    "credentialID" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "providerAccountId" TEXT NOT NULL,
    "credentialPublicKey" TEXT NOT NULL,
    "counter" INTEGER NOT NULL,
    "credentialDeviceType" TEXT NOT NULL,
    "credentialBackedUp" BOOLEAN NOT NULL,
    "transports" TEXT,

    CONSTRAINT "Authenticator_pkey" PRIMARY KEY ("userId","credentialID")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session"("sessionToken");
CREATE UNIQUE INDEX "Authenticator_credentialID_key" ON "Authenticator"("credentialID");
ALTER TABLE "Account" ADD CONSTRAINT "Account_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Authenticator" ADD CONSTRAINT "Authenticator_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`,
}

const generated = []

/**
 * Runs `prisma generate` for the schema on `provider` ('sqlite' or 'postgresql'); answers the
 * generated module (`{ PrismaClient }`). The client is written under node_modules (where it
 * finds its runtime package, `@prisma/client-runtime-utils`) and removed by `removeGenerated()`.
 */
function generatePrismaClient(provider) {
  const cache = path.join(ROOT, 'node_modules', '.cache')
  fs.mkdirSync(cache, { recursive: true })
  const dir = fs.mkdtempSync(path.join(cache, `authjs-prisma-${provider}-`))
  generated.push(dir)
  const schemaFile = path.join(dir, 'schema.prisma')
  fs.writeFileSync(schemaFile, schema(provider, path.join(dir, 'client')))
  const stand = path.join(dir, 'no-schema-engine')
  fs.writeFileSync(stand, '#!/bin/sh\necho "the Prisma schema engine is not installed (the test creates its tables with SQL)" >&2\nexit 1\n', { mode: 0o755 })
  const out = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', schemaFile], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120000,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stand, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  })
  if (out.status !== 0) throw new Error(`prisma generate failed (${out.status ?? out.signal}):\n${out.stdout}\n${out.stderr}`)
  return require(path.join(dir, 'client'))
}

/** Removes the clients generated by this test file. */
function removeGenerated() {
  for (const dir of generated.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}

/**
 * Writes, through the peer's own adapter methods, three users with extra properties, an
 * account each (with an extra column), three sessions each, a verification token and an
 * authenticator. Answers what the peer gave back for each, the plain session tokens with them.
 */
async function writeThroughPrisma(adapter) {
  const written = []
  for (let i = 0; i < 3; i++) {
    // The peer lets Prisma choose the id (a cuid): the user it answers is the one to find again.
    const user = await adapter.createUser({ ...peerUser(i), ...userExtras(i) })
    const account = await adapter.linkAccount({
      ...peerAccount(i, user.id),
      session_state: i === 1 ? 'state-1' : null,
      tenant: `tenant-${i}`,
    })
    const tokens = []
    for (let s = 0; s < 3; s++) {
      const session = await adapter.createSession({ sessionToken: randomUUID(), userId: user.id, expires: new Date(Date.now() + (s + 1) * 86400000) })
      tokens.push(session.sessionToken)
    }
    written.push({ user, account, tokens })
  }
  const token = await adapter.createVerificationToken({ identifier: 'a@example.com', token: randomUUID(), expires: new Date(Date.now() + 600000) })
  const authenticator = await adapter.createAuthenticator(peerAuthenticator(written[0].user.id, written[0].account.providerAccountId))
  return { written, token, authenticator }
}

/**
 * The account RustAdapter gives back for one the peer answered: the peer's own surrogate `id`
 * (SQLite flavour) is not an Auth.js field, and empty columns are left out.
 */
const expectedAccount = (account) => Object.fromEntries(Object.entries(account).filter(([k, v]) => k !== 'id' && v !== null))

module.exports = { DDL, generatePrismaClient, removeGenerated, writeThroughPrisma, expectedAccount }
