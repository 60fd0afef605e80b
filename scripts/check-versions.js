'use strict'
// Checks that the main package and the per-platform binary packages agree before a pack or a
// publish: one npm/<platform>/ package per `napi.targets` entry, each at the main package's
// version, each listed in optionalDependencies at that version, and each named in the loader
// that `napi build --platform` generates (native.js, when present).
// Exit code 1 and one line per problem when they don't.
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
const problems = []

const dirs = fs.readdirSync(path.join(root, 'npm')).filter((d) => fs.existsSync(path.join(root, 'npm', d, 'package.json')))
const targets = (pkg.napi && pkg.napi.targets) || []
if (dirs.length !== targets.length) {
  problems.push(`npm/ has ${dirs.length} platform packages but napi.targets lists ${targets.length}`)
}

const loaderFile = path.join(root, 'native.js')
const loader = fs.existsSync(loaderFile) ? fs.readFileSync(loaderFile, 'utf8') : null
const optional = pkg.optionalDependencies || {}

for (const dir of dirs) {
  const platform = JSON.parse(fs.readFileSync(path.join(root, 'npm', dir, 'package.json'), 'utf8'))
  const expectedName = `${pkg.name}-${dir}`
  const binary = `${pkg.napi.binaryName}.${dir}.node`
  if (platform.name !== expectedName) problems.push(`npm/${dir}: name ${platform.name}, expected ${expectedName}`)
  if (platform.version !== pkg.version) problems.push(`${platform.name}: version ${platform.version}, main package is ${pkg.version}`)
  if (platform.main !== binary) problems.push(`${platform.name}: main ${platform.main}, expected ${binary}`)
  if (JSON.stringify(platform.files) !== JSON.stringify([binary])) problems.push(`${platform.name}: files ${JSON.stringify(platform.files)}, expected ["${binary}"]`)
  if (!Array.isArray(platform.os) || !Array.isArray(platform.cpu)) problems.push(`${platform.name}: os and cpu must be set`)
  if (dir.startsWith('linux-') && !Array.isArray(platform.libc)) problems.push(`${platform.name}: libc must be set`)
  if (optional[platform.name] !== pkg.version) problems.push(`optionalDependencies["${platform.name}"] is ${optional[platform.name]}, expected ${pkg.version}`)
  if (loader !== null && !loader.includes(`require('${platform.name}')`)) problems.push(`native.js never requires ${platform.name}`)
}
for (const name of Object.keys(optional)) {
  if (name.startsWith(`${pkg.name}-`) && !dirs.includes(name.slice(pkg.name.length + 1))) {
    problems.push(`optionalDependencies lists ${name}, which has no npm/ package`)
  }
}

if (problems.length) {
  for (const p of problems) console.error(`check-versions: ${p}`)
  process.exit(1)
}
console.log(`check-versions: ${dirs.length} platform packages at ${pkg.version}, all in optionalDependencies${loader !== null ? ' and in native.js' : ''}`)
