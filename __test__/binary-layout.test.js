'use strict'
// The binary's code layout (build.rs, link/hot-text.ld, scripts/hot-text.js): the functions a
// running adapter executes sit together, so the kernel maps less of the binary's code.
const fs = require('node:fs')
const path = require('node:path')
const { executedFunctions, pattern, linkerScript } = require('../scripts/hot-text.js')

const ROOT = path.join(__dirname, '..')

/**
 * The sections of an ELF64 little-endian file: name, file offset and size.
 *
 * @param {Buffer} elf
 */
function sections(elf) {
  const shoff = Number(elf.readBigUInt64LE(0x28))
  const shentsize = elf.readUInt16LE(0x3a)
  const shnum = elf.readUInt16LE(0x3c)
  const shstrndx = elf.readUInt16LE(0x3e)
  const header = (i) => {
    const at = shoff + i * shentsize
    return { name: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 24)), size: Number(elf.readBigUInt64LE(at + 32)) }
  }
  const names = header(shstrndx)
  const all = []
  for (let i = 0; i < shnum; i++) {
    const h = header(i)
    const start = names.offset + h.name
    const name = elf.toString('latin1', start, elf.indexOf(0, start))
    all.push({ name, offset: h.offset, size: h.size })
  }
  return all
}

describe('code layout', () => {
  const linuxX64 = process.platform === 'linux' && process.arch === 'x64'

  test('on x86_64 Linux the executed functions sit in a section of their own, less than half of the code', () => {
    const binary = process.env.NAPI_RS_NATIVE_LIBRARY_PATH || path.join(ROOT, 'authjs-rust-adapter.linux-x64-gnu.node')
    if (!linuxX64) {
      // build.rs lays the code out for x86_64-unknown-linux-gnu only.
      expect(fs.existsSync(path.join(ROOT, 'link', 'hot-text.ld'))).toBe(true)
      return
    }
    const found = sections(fs.readFileSync(binary))
    const hot = found.find((s) => s.name === '.text.hot')
    const rest = found.find((s) => s.name === '.text')
    expect(hot).toBeDefined()
    expect(rest).toBeDefined()
    // After the rest, next to the PLT that every call into Node-API goes through.
    expect(hot.offset).toBeGreaterThan(rest.offset)
    expect(hot.size).toBeGreaterThan(0)
    expect(hot.size).toBeLessThan((hot.size + rest.size) / 2)
    // The busiest function of every call is SQLite's bytecode engine: it must be in there.
    const script = fs.readFileSync(path.join(ROOT, 'link', 'hot-text.ld'), 'utf8')
    expect(script).toMatch(/^\s+\*\(\.text\.sqlite3VdbeExec /m)
  })

  test("a symbol's pattern drops the hashes a rebuild changes, and nothing else", () => {
    expect(pattern('_ZN19authjs_rust_adapter6sqlite8sessions6insert17h0123456789abcdefE')).toBe(
      '_ZN19authjs_rust_adapter6sqlite8sessions6insert17h*E',
    )
    expect(pattern('_RNvMNtNtNtNtCsjrHSEGnQ3l9_3std3sys4sync5mutex5futexNtB2_5Mutex4wake')).toBe(
      '_RNvMNtNtNtNtCs*_3std3sys4sync5mutex5futexNtB2_5Mutex4wake',
    )
    expect(pattern('sqlite3VdbeExec')).toBe('sqlite3VdbeExec')
  })

  test('the functions are read from callgrind output: own costs of one object, calls skipped', () => {
    const out = [
      'events: Ir',
      'ob=(1) /x/addon.node',
      'fl=(1) sqlite3.c',
      'fn=(1) sqlite3VdbeExec',
      '10 500',
      '+2 100',
      'cob=(2) /usr/bin/node',
      'cfn=(2) v8call',
      'calls=1 0',
      '12 9000',
      'fn=(3) walChecksumBytes',
      '* 40',
      "fn=(4) sqlite3VdbeExec'2",
      '5 7',
      'ob=(2)',
      'fn=(2)',
      '1 100000',
      'ob=(1)',
      'fn=(1)',
      '11 3',
    ].join('\n')
    const cost = executedFunctions(out, '/x/addon.node')
    expect([...cost]).toEqual([
      ['sqlite3VdbeExec', 610],
      ['walChecksumBytes', 40],
    ])
  })

  test('the script places the patterns, busiest first, after the start-up code, after .text', () => {
    const script = linkerScript(['b17h0123456789abcdefE', 'a', 'b17hfedcba9876543210E', 'not a symbol'])
    const lines = script.split('\n').filter((l) => l.trimStart().startsWith('*('))
    expect(lines[0]).toBe('    *(.text.startup .text.startup.*)')
    expect(lines.slice(-2)).toEqual(['    *(.text.b17h*E .text.unlikely.b17h*E)', '    *(.text.a .text.unlikely.a)'])
    expect(script.trimEnd().endsWith('INSERT AFTER .text;')).toBe(true)
  })
})
