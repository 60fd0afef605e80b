'use strict'
/**
 * The README and the pages of docs/ link to each other and to files of the repository; every
 * such relative link must lead somewhere: the file (or folder) must exist, and a `#anchor`
 * must match a heading of the target page, slugged as GitHub slugs headings (lowercase,
 * punctuation other than `-` and `_` dropped, spaces to `-`, `-1`, `-2`... for repeats).
 * Links to other sites are not followed.
 */
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const DOCS = path.join(ROOT, 'docs')

/** README.md, CONTRIBUTING.md and every Markdown page under docs/, as paths relative to the repository. */
function pages() {
  const found = ['README.md', 'CONTRIBUTING.md']
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith('.md')) found.push(path.relative(ROOT, full))
    }
  }
  walk(DOCS)
  return found.sort()
}

/** The lines of `text` outside fenced code blocks, with inline code spans blanked. */
function proseLines(text) {
  const lines = []
  let fence = null
  for (const line of text.split('\n')) {
    const opener = line.match(/^\s*(`{3,}|~{3,})/)
    if (fence) {
      if (opener && opener[1][0] === fence[0] && opener[1].length >= fence.length) fence = null
      continue
    }
    if (opener) {
      fence = opener[1]
      continue
    }
    lines.push(line.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length)))
  }
  return lines
}

/** GitHub's anchor for a heading's text. */
function slug(heading) {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link or image counts as its text
    .replace(/<[^>]+>/g, '') // HTML tags
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-')
}

/** The anchors of a Markdown page: one per heading, repeats numbered as GitHub does. */
function anchors(file) {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8')
  const seen = new Map()
  const result = new Set()
  let fence = null
  for (const line of text.split('\n')) {
    const opener = line.match(/^\s*(`{3,}|~{3,})/)
    if (fence) {
      if (opener && opener[1][0] === fence[0] && opener[1].length >= fence.length) fence = null
      continue
    }
    if (opener) {
      fence = opener[1]
      continue
    }
    const heading = line.match(/^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/)
    if (!heading) continue
    const base = slug(heading[1])
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    result.add(count === 0 ? base : `${base}-${count}`)
  }
  return result
}

/** Every relative link of `file`: `{ line, target }`, `target` as written (path and/or #anchor). */
function relativeLinks(file) {
  const links = []
  proseLines(fs.readFileSync(path.join(ROOT, file), 'utf8')).forEach((text, i) => {
    const targets = [
      ...[...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
      ...[...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/g)].map((m) => m[1]),
    ]
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:, ...
      links.push({ line: i + 1, target })
    }
  })
  return links
}

/** Where `target` (written in `file`) leads: the file relative to the repository and the anchor. */
function resolve(file, target) {
  const [rawPath, anchor] = target.split('#')
  const pathPart = decodeURIComponent(rawPath)
  const resolved = pathPart === '' ? file : path.relative(ROOT, path.resolve(ROOT, path.dirname(file), pathPart))
  return { file: resolved, anchor: anchor === undefined ? null : decodeURIComponent(anchor) }
}

const PAGES = pages()

test('the README and the docs pages have relative links to check', () => {
  expect(PAGES).toContain('README.md')
  expect(PAGES.length).toBeGreaterThan(1)
  expect(relativeLinks('README.md').length).toBeGreaterThan(0)
})

test.each(PAGES)('every relative link in %s leads to a file or folder of the repository', (file) => {
  const broken = relativeLinks(file)
    .filter(({ target }) => !target.startsWith('#'))
    .filter(({ target }) => !fs.existsSync(path.join(ROOT, resolve(file, target).file)))
    .map(({ line, target }) => `${file}:${line}: ${target}`)
  expect(broken).toEqual([])
})

test.each(PAGES)('every #anchor in %s matches a heading of the page it points to', (file) => {
  const broken = relativeLinks(file)
    .map((link) => ({ ...link, ...resolve(file, link.target) }))
    .filter((link) => link.anchor !== null && link.file.endsWith('.md') && fs.existsSync(path.join(ROOT, link.file)))
    .filter((link) => !anchors(link.file).has(link.anchor))
    .map(({ line, target, file: to }) => `${file}:${line}: ${target} (no such heading in ${to})`)
  expect(broken).toEqual([])
})

test('the README links to every page of docs/', () => {
  const linked = new Set(relativeLinks('README.md').map(({ target }) => resolve('README.md', target).file))
  const unlinked = PAGES.filter((page) => page.startsWith(`docs${path.sep}`) && !linked.has(page))
  expect(unlinked).toEqual([])
})
