#!/usr/bin/env node
'use strict'
// The command line of authjs-rust-adapter (docs/cli.md); the work is in lib/cli.js.
require('../lib/cli.js')
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code
  })
