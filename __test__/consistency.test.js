'use strict'
// One list per fact: the configuration options and the error codes are each defined once on
// the native side, and index.d.ts and the docs must say exactly the same.
const fs = require('node:fs')
const path = require('node:path')
const ts = require('typescript')
const native = require('../native.js')
const { FACE_CODES } = require('../lib/errors.js')

const ROOT = path.join(__dirname, '..')

/** The types of index.d.ts, through the TypeScript checker (read once). */
let read
function declarations() {
  if (read) return read
  const file = path.join(ROOT, 'index.d.ts')
  const program = ts.createProgram([file], { strict: true, noEmit: true })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)
  const named = (name) => {
    const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(source))
    const symbol = exported.find((s) => s.name === name)
    if (!symbol) throw new Error(`index.d.ts declares no ${name}`)
    return checker.getDeclaredTypeOfSymbol(symbol)
  }
  read = {
    properties: (name) => checker.getPropertiesOfType(named(name)).map((p) => p.name).sort(),
    literals: (name) => named(name).types.map((t) => t.value).sort(),
  }
  return read
}

/** The first column of the one table in a docs page, without its backticks. */
function firstColumn(page) {
  const rows = fs
    .readFileSync(path.join(ROOT, 'docs', page), 'utf8')
    .split('\n')
    .filter((line) => /^\| `/.test(line))
  return rows.map((line) => /^\| `([^`]+)`/.exec(line)[1]).sort()
}

const options = native.configOptions()
const names = (applies) => options.filter((o) => applies.includes(o.applies)).map((o) => o.name).sort()

describe('configuration options', () => {
  test('the native table lists each option once', () => {
    const all = options.map((o) => o.name)
    expect(new Set(all).size).toBe(all.length)
    expect(all.length).toBeGreaterThan(10)
  })

  test('RustAdapterConfig in index.d.ts has every option of SQLite and PostgreSQL, and no other', () => {
    expect(declarations().properties('RustAdapterConfig')).toEqual(names(['all', 'file', 'server', 'postgres']))
  })

  test("TypeOrmStyleConfig is RustAdapterConfig with v3's type, database and synchronize in place of filename", () => {
    const expected = names(['all', 'file', 'server', 'postgres', 'typeorm']).filter((n) => n !== 'filename')
    expect(declarations().properties('TypeOrmStyleConfig')).toEqual(expected)
  })

  test('RustClientDbConfig is RustAdapterConfig with hub in place of url', () => {
    const expected = names(['all', 'file', 'server', 'replica'])
    expect(declarations().properties('RustClientDbConfig')).toEqual(expected)
  })

  test("docs/configuration.md's table lists exactly the native options", () => {
    expect(firstColumn('configuration.md')).toEqual(options.map((o) => o.name).sort())
  })

  test('an unknown option is refused with the whole native list', () => {
    const { RustAdapter } = require('..')
    let error
    try {
      RustAdapter({ filname: 'x.sqlite' })
    } catch (e) {
      error = e
    }
    expect(error.code).toBe('INVALID_INPUT')
    for (const { name } of options) expect(error.message).toContain(name)
  })
})

describe('error codes', () => {
  const codes = [...native.errorCodes(), ...FACE_CODES].sort()

  test('the native list and the face list share no code', () => {
    expect(new Set(codes).size).toBe(codes.length)
  })

  test('RustAdapterErrorCode in index.d.ts is exactly the native codes and the face codes', () => {
    expect(declarations().literals('RustAdapterErrorCode')).toEqual(codes)
  })

  test("docs/errors.md's table lists exactly the same codes", () => {
    expect(firstColumn('errors.md')).toEqual(codes)
  })
})

describe('the lock files of the apps that install this package from the repository', () => {
  // examples/express, examples/nextjs and the next-auth v4 app depend on `file:../..`, so their
  // lock files record this package's own package.json. When it changes (a dependency, `bin`,
  // `engines`) and theirs do not, `npm install` in them (the demo, the e2e and v4 tests)
  // rewrites a committed file. Regenerate with `npm install --prefix <folder>`.
  const root = require('../package.json')
  const FIELDS = ['dependencies', 'bin', 'devDependencies', 'engines', 'peerDependencies', 'peerDependenciesMeta']
  const expected = Object.fromEntries(FIELDS.map((field) => [field, root[field]]))
  if (typeof expected.bin === 'string') expected.bin = { [root.name]: expected.bin }

  test.each(['examples/express', 'examples/nextjs', '__test__/next-auth-v4'])('%s/package-lock.json records this package.json', (folder) => {
    const lock = require(path.join('..', folder, 'package-lock.json'))
    const recorded = lock.packages[path.relative(folder, '.')]
    expect(Object.fromEntries(FIELDS.map((field) => [field, recorded?.[field]]))).toEqual(expected)
  })
})
