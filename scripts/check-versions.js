'use strict'
// Checks that the main package and the per-platform binary packages agree, the way
// `napi prepublish` (@napi-rs/cli) will see them at publish time: it reads the same config
// (readNapiConfig: package.json `napi.targets`, `napi.binaryName`, the package name), so a
// mismatch here is one that prepublish or the published package would hit.
//
//   node scripts/check-versions.js
//     The repository: one npm/<platform>/ package per `napi.targets` entry and no other, each
//     named <name>-<platform>, at the main package's version, with main/files naming
//     <binaryName>.<platform>.node, os/cpu (and libc on Linux) set, and each required by the
//     loader that `napi build --platform` generates (native.js, when present). The committed
//     package.json must not list the platform packages in optionalDependencies: they are not on
//     the registry until a release publishes them, so a lock file cannot hold them and `npm ci`
//     fails. `napi prepublish` adds them at publish time (as in the napi-rs package template).
//
//   node scripts/check-versions.js --published [path/to/package.json]
//     A manifest as it goes to the registry (default ./package.json, after `napi prepublish`;
//     or the package.json taken out of a packed tarball): its optionalDependencies list every
//     platform package of `napi.targets`, each at that manifest's version, and no other
//     <name>-<platform> package.
//
// Exit code 1 and one line per problem when they don't.
const fs = require('fs')
const path = require('path')
const { readNapiConfig } = require('@napi-rs/cli')

const root = path.join(__dirname, '..')

async function main() {
  const args = process.argv.slice(2)
  const published = args[0] === '--published'
  const config = await readNapiConfig(path.join(root, 'package.json'))
  const { packageName, binaryName } = config
  const platforms = config.targets.map((t) => t.platformArchABI)
  const problems = []

  if (published) {
    const file = path.resolve(args[1] || path.join(root, 'package.json'))
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'))
    const optional = manifest.optionalDependencies || {}
    for (const platform of platforms) {
      const name = `${packageName}-${platform}`
      if (optional[name] !== manifest.version) {
        problems.push(`${file}: optionalDependencies["${name}"] is ${optional[name]}, expected ${manifest.version}`)
      }
    }
    for (const name of Object.keys(optional)) {
      if (name.startsWith(`${packageName}-`) && !platforms.includes(name.slice(packageName.length + 1))) {
        problems.push(`${file}: optionalDependencies lists ${name}, which is not a napi.targets platform`)
      }
    }
    report(problems, `${platforms.length} platform packages in optionalDependencies, all at ${manifest.version}: ${platforms.map((p) => `${packageName}-${p}`).join(', ')}`)
    return
  }

  const { packageJson: pkg } = config
  const dirs = fs.readdirSync(path.join(root, 'npm')).filter((d) => fs.existsSync(path.join(root, 'npm', d, 'package.json')))
  for (const platform of platforms) {
    if (!dirs.includes(platform)) problems.push(`napi.targets has ${platform} but there is no npm/${platform}/package.json`)
  }
  for (const dir of dirs) {
    if (!platforms.includes(dir)) problems.push(`npm/${dir}/ is not a napi.targets platform (${platforms.join(', ')})`)
  }

  const loaderFile = path.join(root, 'native.js')
  const loader = fs.existsSync(loaderFile) ? fs.readFileSync(loaderFile, 'utf8') : null

  for (const dir of dirs) {
    const platform = JSON.parse(fs.readFileSync(path.join(root, 'npm', dir, 'package.json'), 'utf8'))
    const expectedName = `${packageName}-${dir}`
    const binary = `${binaryName}.${dir}.node`
    if (platform.name !== expectedName) problems.push(`npm/${dir}: name ${platform.name}, expected ${expectedName}`)
    if (platform.version !== pkg.version) problems.push(`${platform.name}: version ${platform.version}, main package is ${pkg.version}`)
    if (platform.main !== binary) problems.push(`${platform.name}: main ${platform.main}, expected ${binary}`)
    if (JSON.stringify(platform.files) !== JSON.stringify([binary])) problems.push(`${platform.name}: files ${JSON.stringify(platform.files)}, expected ["${binary}"]`)
    if (!Array.isArray(platform.os) || !Array.isArray(platform.cpu)) problems.push(`${platform.name}: os and cpu must be set`)
    if (dir.startsWith('linux-') && !Array.isArray(platform.libc)) problems.push(`${platform.name}: libc must be set`)
    if (loader !== null && !loader.includes(`require('${expectedName}')`)) problems.push(`native.js never requires ${expectedName}`)
  }

  const listed = Object.keys(pkg.optionalDependencies || {}).filter((name) => name.startsWith(`${packageName}-`))
  if (listed.length) {
    problems.push(
      `package.json lists ${listed.join(', ')} in optionalDependencies: leave them out of the committed file ` +
        '(npm ci cannot lock unpublished packages); napi prepublish adds them at publish time',
    )
  }

  report(problems, `${dirs.length} platform packages at ${pkg.version}${loader !== null ? ', all required by native.js' : ''}; none in the committed optionalDependencies`)
}

function report(problems, ok) {
  if (problems.length) {
    for (const p of problems) console.error(`check-versions: ${p}`)
    process.exit(1)
  }
  console.log(`check-versions: ${ok}`)
}

main().catch((error) => {
  console.error(`check-versions: ${error && error.stack ? error.stack : error}`)
  process.exit(1)
})
