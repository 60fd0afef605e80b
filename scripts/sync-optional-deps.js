'use strict'
// Run by `npm version` (after `napi version` has bumped npm/<platform>/package.json): points the
// root package's optionalDependencies on the per-platform binary packages at the new version, so
// the repository never carries a main package that asks for binaries of another version.
// `napi prepublish` recomputes the same map at publish time; this keeps the committed file true.
const fs = require('fs')
const path = require('path')

const file = path.join(__dirname, '..', 'package.json')
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
const optional = pkg.optionalDependencies || {}
for (const name of Object.keys(optional)) {
  if (name.startsWith(`${pkg.name}-`)) optional[name] = pkg.version
}
pkg.optionalDependencies = optional
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n')
console.log(`optionalDependencies -> ${pkg.version}`)
