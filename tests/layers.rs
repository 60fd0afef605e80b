//! The crate's architecture, checked: dependencies point one way, and no files or folders
//! depend on each other in a circle.
//!
//! The layers (see `src/lib.rs`): `core` depends on nothing else in the crate; the backends
//! `sqlite` and `postgres` on `core` only; `replica` on `core` and the two backends; `node`
//! (the N-API surface) on anything, and nothing on it.
//!
//! A reference is a path a source file names outside comments: `crate::a::b`, `super::x`,
//! `self::x`, or a child module's name (`users::insert` in the file that declares
//! `mod users;`). Each is resolved to the file that defines the module it reaches.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// What each layer may name, besides itself.
const ALLOWED: &[(&str, &[&str])] = &[
    ("core", &[]),
    ("sqlite", &["core"]),
    ("postgres", &["core"]),
    ("replica", &["core", "sqlite", "postgres"]),
    ("node", &["core", "sqlite", "postgres", "replica"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, by its path relative to `src/`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(src()).unwrap().to_path_buf());
        }
    }
}

/// The module path of a file: `sqlite/users.rs` is `[sqlite, users]`, `sqlite/mod.rs` is
/// `[sqlite]`, `lib.rs` is `[]`.
fn module_of(file: &Path) -> Vec<String> {
    let mut segments: Vec<String> = file
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if matches!(segments.last().map(String::as_str), Some("mod" | "lib")) {
        segments.pop();
    }
    segments
}

/// The file that defines the deepest existing module along `path`.
fn file_of(path: &[String], known: &BTreeMap<Vec<String>, PathBuf>) -> Option<PathBuf> {
    (0..=path.len())
        .rev()
        .find_map(|n| known.get(&path[..n]).cloned())
}

/// The source without comments and string literals (doc comments name other modules).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => in_string = !in_string,
                '\\' if in_string => {
                    chars.next();
                }
                '/' if !in_string && chars.peek() == Some(&'/') => break,
                _ if in_string => {}
                _ => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// Expands `use a::{b, c::{d, e}}` trees into whole paths (`a::b`, `a::c::d`, `a::c::e`).
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// The inline modules of a file (`mod tests { ... }`): their byte ranges and names.
fn inline_modules(code: &str) -> Vec<(usize, usize, String)> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find("mod ").map(|i| i + at) {
        at = i + 4;
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &code[i + 4..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let after = rest[name.len()..].trim_start();
        if !starts_word || name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        let mut depth = 0;
        for (j, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        found.push((open, open + j, name.clone()));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// The module paths a file's code names, made absolute. `module` is the file's module; a path
/// inside an inline module is resolved from there.
fn references(module: &[String], code: &str) -> BTreeSet<Vec<String>> {
    let mut paths: Vec<(usize, String)> = Vec::new();
    // `use` trees, then every other path in the code.
    let mut offset = 0;
    for statement in code.split(';') {
        let at = offset;
        offset += statement.len() + 1;
        // A `use` starts a line, possibly after an inline module's `{` on an earlier one.
        let from = statement
            .match_indices('\n')
            .map(|(i, _)| i + 1)
            .chain(std::iter::once(0))
            .filter(|&i| {
                let line = statement[i..].trim_start();
                ["use ", "pub use ", "pub(crate) use "]
                    .iter()
                    .any(|p| line.starts_with(p))
            })
            .min()
            .unwrap_or(0);
        let statement = statement[from..].trim();
        let body = statement
            .strip_prefix("pub use ")
            .or_else(|| statement.strip_prefix("pub(crate) use "))
            .or_else(|| statement.strip_prefix("use "));
        if let Some(body) = body {
            let tree = body.split(" as ").next().unwrap();
            paths.extend(expand(tree).into_iter().map(|p| (at + from, p)));
        }
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    let mut token = String::new();
    for (i, c) in code
        .char_indices()
        .chain(std::iter::once((code.len(), ' ')))
    {
        if word(c) {
            token.push(c);
        } else if !token.is_empty() {
            // (`a::` before a `{` is a `use` tree's prefix, read with its tree above.)
            if token.contains("::") && !token.ends_with("::") {
                paths.push((i - token.len(), token.trim_matches(':').to_string()));
            }
            token.clear();
        }
    }
    let children: BTreeSet<String> = code
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect();
    let inline = inline_modules(code);
    let mut out = BTreeSet::new();
    for (at, path) in paths {
        let mut here = module.to_vec();
        here.extend(
            inline
                .iter()
                .filter(|(start, end, _)| (*start..*end).contains(&at))
                .map(|(_, _, name)| name.clone()),
        );
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let Some(first) = segments.first() else {
            continue;
        };
        let absolute: Vec<String> = match *first {
            "crate" => segments[1..].iter().map(|s| s.to_string()).collect(),
            "super" => {
                let mut base = here.clone();
                let mut rest = &segments[..];
                while rest.first() == Some(&"super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().map(|s| s.to_string()));
                base
            }
            "self" => {
                let mut base = here.clone();
                base.extend(segments[1..].iter().map(|s| s.to_string()));
                base
            }
            child if children.contains(child) => {
                let mut base = module.to_vec();
                base.extend(segments.iter().map(|s| s.to_string()));
                base
            }
            _ => continue,
        };
        out.insert(absolute);
    }
    out
}

struct Graph {
    /// Each file and the files it names.
    edges: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

fn graph() -> Graph {
    let mut all = Vec::new();
    files(&src(), &mut all);
    let known: BTreeMap<Vec<String>, PathBuf> =
        all.iter().map(|f| (module_of(f), f.clone())).collect();
    let mut edges = BTreeMap::new();
    for file in &all {
        let text = fs::read_to_string(src().join(file)).unwrap();
        let module = module_of(file);
        // A file's own tests (`#[cfg(test)] mod tests { use super::*; }`) name their own file.
        let targets = references(&module, &code_of(&text))
            .iter()
            .filter_map(|path| file_of(path, &known))
            .filter(|target| target != file && target != Path::new("lib.rs"))
            .collect();
        edges.insert(file.clone(), targets);
    }
    Graph { edges }
}

fn layer(file: &Path) -> String {
    file.iter()
        .next()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

#[test]
fn every_layer_depends_only_on_the_layers_below_it() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (file, targets) in &graph.edges {
        let from = layer(file);
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == from) else {
            assert_eq!(file, Path::new("lib.rs"), "{file:?} is in no layer");
            continue;
        };
        for target in targets {
            let to = layer(target);
            if to != from && !allowed.contains(&to.as_str()) {
                wrong.push(format!(
                    "{} ({from}) names {} ({to})",
                    file.display(),
                    target.display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against the layers:\n{}",
        wrong.join("\n")
    );
}

/// The strongly connected components of more than one node (Tarjan's algorithm).
fn cycles<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    struct State<N> {
        index: BTreeMap<N, usize>,
        low: BTreeMap<N, usize>,
        stack: Vec<N>,
        on_stack: BTreeSet<N>,
        found: Vec<Vec<N>>,
    }
    fn visit<N: Ord + Clone>(n: &N, edges: &BTreeMap<N, BTreeSet<N>>, s: &mut State<N>) {
        let i = s.index.len();
        s.index.insert(n.clone(), i);
        s.low.insert(n.clone(), i);
        s.stack.push(n.clone());
        s.on_stack.insert(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            if !s.index.contains_key(m) {
                visit(m, edges, s);
                let low = s.low[n].min(s.low[m]);
                s.low.insert(n.clone(), low);
            } else if s.on_stack.contains(m) {
                let low = s.low[n].min(s.index[m]);
                s.low.insert(n.clone(), low);
            }
        }
        if s.low[n] == s.index[n] {
            let mut component = Vec::new();
            loop {
                let m = s.stack.pop().unwrap();
                s.on_stack.remove(&m);
                component.push(m.clone());
                if &m == n {
                    break;
                }
            }
            if component.len() > 1 {
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for n in edges.keys() {
        if !state.index.contains_key(n) {
            visit(n, edges, &mut state);
        }
    }
    state.found
}

#[test]
fn no_files_depend_on_each_other_in_a_circle() {
    let graph = graph();
    let found = cycles(&graph.edges);
    let explain: Vec<String> = found
        .iter()
        .flatten()
        .map(|file| {
            let names: Vec<String> = graph.edges[file]
                .iter()
                .filter(|t| found.iter().any(|c| c.contains(t)))
                .map(|t| t.display().to_string())
                .collect();
            format!("{} names {}", file.display(), names.join(", "))
        })
        .collect();
    assert!(
        found.is_empty(),
        "files in a circle:\n{}",
        explain.join("\n")
    );
}

#[test]
fn no_folders_depend_on_each_other_in_a_circle() {
    let mut folders: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (file, targets) in graph().edges {
        let from = file.parent().unwrap().to_path_buf();
        let entry = folders.entry(from.clone()).or_default();
        for target in targets {
            let to = target.parent().unwrap().to_path_buf();
            if to != from {
                entry.insert(to);
            }
        }
    }
    let found = cycles(&folders);
    assert!(found.is_empty(), "folders in a circle: {found:#?}");
}

#[test]
fn the_checker_sees_a_reference_in_each_form() {
    let module = vec!["sqlite".to_string(), "users".to_string()];
    let code = "use crate::core::{model::User, error};\nfn f() { super::lock(); self::x::y(); }\n";
    let found = references(&module, code);
    for expected in [
        vec!["core", "model", "User"],
        vec!["core", "error"],
        vec!["sqlite", "lock"],
        vec!["sqlite", "users", "x", "y"],
    ] {
        let expected: Vec<String> = expected.into_iter().map(String::from).collect();
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
    assert!(code_of("let a = 1; // crate::node::x\n")
        .find("node")
        .is_none());
    // `super` inside a file's own test module is the file itself.
    let tests = references(&module, "mod tests {\n use super::*;\n}\n");
    assert!(tests.contains(&vec![
        "sqlite".to_string(),
        "users".to_string(),
        "*".to_string()
    ]));
}
