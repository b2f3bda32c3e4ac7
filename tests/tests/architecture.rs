//! The house's layering, checked so that it stays true (docs/ARCHITECTURE.md):
//!
//! - no import circle between the modules of any crate of the workspace: every
//!   `use` and every `crate::`/`super::`/`self::` path in non-test code is an
//!   arrow from the module it is written in to the module it names, lifted to
//!   the two siblings under their nearest common parent (a module's arrows to its
//!   own parent or children do not count); the arrows between siblings must form
//!   no circle;
//! - no upward arrow between crates: `cargo metadata` lists each workspace
//!   crate's dependencies on the others (normal, build and dev), and each must
//!   point to a crate lower in [`LAYERS`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The workspace's crates from the bottom up; a crate may depend only on crates
/// in lower rows. Rows hold crates that do not depend on each other.
const LAYERS: &[&[&str]] = &[
    &[
        "apigw-geo",
        "apigw-vtl",
        "apigw-policy",
        "apigw-waf",
        "apigw-tls",
    ],
    &["apigw-cluster", "apigw-model"],
    &["apigw-store"],
    &["apigw-dataplane", "apigw-management"],
    &["apigw"],
    &["apigw-tests", "apigw-simulations", "apigw-test-function"],
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

fn metadata(deps: bool) -> Value {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["metadata", "--format-version", "1", "--offline"]);
    if !deps {
        cmd.arg("--no-deps");
    }
    let out = cmd
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn rank(name: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&name))
}

#[test]
fn crates_depend_only_downward() {
    let meta = metadata(false);
    let packages = meta["packages"].as_array().expect("packages");
    let ours: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut wrong = Vec::new();
    for p in packages {
        let name = p["name"].as_str().unwrap_or_default();
        let Some(from) = rank(name) else {
            wrong.push(format!("{name} is not in LAYERS"));
            continue;
        };
        for dep in p["dependencies"].as_array().into_iter().flatten() {
            let to_name = dep["name"].as_str().unwrap_or_default();
            if !ours.contains(to_name) {
                continue;
            }
            match rank(to_name) {
                Some(to) if to < from => {}
                _ => wrong.push(format!("{name} -> {to_name} points up or sideways")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "crate arrows against LAYERS:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_module_of_any_crate_is_in_an_import_circle() {
    let meta = metadata(false);
    let mut circles = Vec::new();
    for p in meta["packages"].as_array().expect("packages") {
        for target in p["targets"].as_array().into_iter().flatten() {
            let kinds: Vec<&str> = target["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !kinds.iter().any(|k| ["lib", "bin"].contains(k)) {
                continue;
            }
            let root = PathBuf::from(target["src_path"].as_str().expect("src_path"));
            let name = format!(
                "{} {}",
                p["name"].as_str().unwrap_or(""),
                target["name"].as_str().unwrap_or("")
            );
            let graph = ModuleGraph::of_crate(&root);
            assert!(
                !graph.files.is_empty(),
                "{name}: no modules found from {}",
                root.display()
            );
            if std::env::var_os("ARCH_DUMP").is_some() {
                // ARCH_DUMP=1 cargo nextest run -p apigw-tests --test architecture --no-capture
                for ((a, b), place) in &graph.arrows {
                    println!("{name}: {} -> {}  [{place}]", a.join("::"), b.join("::"));
                }
            }
            for circle in graph.circles() {
                circles.push(format!("{name}: {circle}"));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

/// The data plane serves requests from the store's snapshot and never reaches
/// into the management API (the AWS REST shapes): no path written anywhere
/// under `apigw::dataplane` names `apigw::management`.
#[test]
fn the_data_plane_never_imports_management() {
    let root = workspace().join("node/src/lib.rs");
    let graph = ModuleGraph::of_crate(&root);
    let dataplane = vec!["dataplane".to_string()];
    let management = vec!["management".to_string()];
    assert!(graph.files.contains_key(&dataplane) && graph.files.contains_key(&management));
    let arrow = graph.arrows.get(&(dataplane, management));
    assert!(arrow.is_none(), "dataplane imports management: {arrow:?}");
}

/// The simulator drives the real cluster and edge code; nothing in the
/// gateway library reaches back into it (only the binary's `apigw sim` and
/// the `apigw-simulations` crate call it).
#[test]
fn no_gateway_module_imports_the_simulation() {
    let root = workspace().join("node/src/lib.rs");
    let graph = ModuleGraph::of_crate(&root);
    let simulation = vec!["simulation".to_string()];
    assert!(graph.files.contains_key(&simulation));
    let wrong: Vec<&String> = graph
        .arrows
        .iter()
        .filter(|((from, to), _)| to.starts_with(&simulation) && !from.starts_with(&simulation))
        .map(|(_, place)| place)
        .collect();
    assert!(
        wrong.is_empty(),
        "gateway modules import the simulation: {wrong:?}"
    );
}

/// A module's path from the crate root (empty for the root).
type ModPath = Vec<String>;

/// The modules of one crate and the arrows between them.
struct ModuleGraph {
    /// Module -> the file that holds it.
    files: BTreeMap<ModPath, PathBuf>,
    /// (from, to) after lifting -> one place that writes it (file: path).
    arrows: BTreeMap<(ModPath, ModPath), String>,
}

impl ModuleGraph {
    fn of_crate(root: &Path) -> Self {
        let mut graph = ModuleGraph {
            files: BTreeMap::new(),
            arrows: BTreeMap::new(),
        };
        graph.collect(Vec::new(), root, true);
        let sources: Vec<(ModPath, PathBuf)> = graph
            .files
            .iter()
            .map(|(m, f)| (m.clone(), f.clone()))
            .collect();
        for (module, file) in sources {
            let text = code_only(&std::fs::read_to_string(&file).expect("read module"));
            for path in referenced_paths(&text) {
                if let Some(target) = graph.resolve(&module, &path) {
                    graph.add_arrow(
                        &module,
                        &target,
                        format!("{}: {}", file.display(), path.join("::")),
                    );
                }
            }
        }
        graph
    }

    /// Records `module` (in `file`) and, following its `mod x;` lines, its children.
    fn collect(&mut self, module: ModPath, file: &Path, owns_dir: bool) {
        let text = code_only(&std::fs::read_to_string(file).expect("read module"));
        let dir = if owns_dir {
            file.parent().expect("dir").to_path_buf()
        } else {
            file.with_extension("")
        };
        self.files.insert(module.clone(), file.to_path_buf());
        for child in declared_modules(&text) {
            let flat = dir.join(format!("{child}.rs"));
            let nested = dir.join(&child).join("mod.rs");
            let mut path = module.clone();
            path.push(child);
            if flat.exists() {
                self.collect(path, &flat, false);
            } else if nested.exists() {
                self.collect(path, &nested, true);
            }
        }
    }

    /// The module a path written in `from` names (the longest known prefix).
    fn resolve(&self, from: &ModPath, path: &[String]) -> Option<ModPath> {
        let mut base: ModPath;
        let mut rest = path;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                base = Vec::new();
                rest = &rest[1..];
            }
            Some("self") => {
                base = from.clone();
                rest = &rest[1..];
            }
            Some("super") => {
                base = from.clone();
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            _ => return None,
        }
        for seg in rest {
            let mut next = base.clone();
            next.push(seg.clone());
            if !self.files.contains_key(&next) {
                break;
            }
            base = next;
        }
        Some(base)
    }

    fn add_arrow(&mut self, from: &ModPath, to: &ModPath, place: String) {
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            return; // to an ancestor or a descendant
        }
        let lifted = (from[..=common].to_vec(), to[..=common].to_vec());
        self.arrows.entry(lifted).or_insert(place);
    }

    /// Each set of sibling modules that reach each other, with the arrows that close it.
    fn circles(&self) -> Vec<String> {
        let nodes: BTreeSet<&ModPath> = self.arrows.keys().flat_map(|(a, b)| [a, b]).collect();
        let reach = |start: &ModPath| -> BTreeSet<ModPath> {
            let mut seen = BTreeSet::new();
            let mut stack = vec![start.clone()];
            while let Some(n) = stack.pop() {
                for (a, b) in self.arrows.keys() {
                    if *a == n && seen.insert(b.clone()) {
                        stack.push(b.clone());
                    }
                }
            }
            seen
        };
        let reaches: BTreeMap<&ModPath, BTreeSet<ModPath>> =
            nodes.iter().map(|n| (*n, reach(n))).collect();
        let mut done = BTreeSet::new();
        let mut out = Vec::new();
        for n in &nodes {
            if done.contains(*n) || !reaches[n].contains(*n) {
                continue;
            }
            let members: BTreeSet<&ModPath> = nodes
                .iter()
                .copied()
                .filter(|m| reaches[n].contains(*m) && reaches[m].contains(*n))
                .collect();
            let arrows: Vec<String> = self
                .arrows
                .iter()
                .filter(|((a, b), _)| members.contains(a) && members.contains(b))
                .map(|((a, b), place)| {
                    format!("    {} -> {} ({place})", a.join("::"), b.join("::"))
                })
                .collect();
            let names: Vec<String> = members.iter().map(|m| m.join("::")).collect();
            out.push(format!("{}\n{}", names.join(" <-> "), arrows.join("\n")));
            done.extend(members.into_iter().cloned());
        }
        out
    }
}

/// The `mod x;` declarations of a file (inline `mod x { .. }` bodies are part of it).
fn declared_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let tokens = tokens(text);
    for w in tokens.windows(3) {
        if w[0] == "mod" && w[2] == ";" && is_ident(&w[1]) {
            out.push(w[1].clone());
        }
    }
    out
}

/// Every path a file writes that starts at `crate`, `self` or `super`: the
/// leaves of its `use` trees and the paths in its code.
fn referenced_paths(text: &str) -> Vec<Vec<String>> {
    let tokens = tokens(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "use" {
            let end = tokens[i..]
                .iter()
                .position(|t| t == ";")
                .map_or(tokens.len(), |e| i + e);
            use_tree(&tokens[i + 1..end], &mut Vec::new(), &mut out);
            i = end + 1;
            continue;
        }
        let starts_path = i == 0 || tokens[i - 1] != "::";
        if starts_path && ["crate", "self", "super"].contains(&tokens[i].as_str()) {
            let mut path = vec![tokens[i].clone()];
            let mut j = i + 1;
            while j + 1 < tokens.len() && tokens[j] == "::" && is_ident(&tokens[j + 1]) {
                path.push(tokens[j + 1].clone());
                j += 2;
            }
            if path.len() > 1 {
                out.push(path);
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its leaf paths.
fn use_tree(tokens: &[String], prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut i = 0;
    let depth = prefix.len();
    while i < tokens.len() {
        match tokens[i].as_str() {
            "{" => {
                let close = matching(tokens, i);
                for part in split_top(&tokens[i + 1..close]) {
                    use_tree(part, prefix, out);
                }
                prefix.truncate(depth);
                return;
            }
            "::" => {}
            "as" => break,
            "*" => break,
            t if is_ident(t) => prefix.push(t.to_string()),
            _ => {}
        }
        i += 1;
    }
    if prefix.len() > depth || depth > 0 {
        out.push(prefix.clone());
    }
    prefix.truncate(depth);
}

fn matching(tokens: &[String], open: usize) -> usize {
    let mut depth = 0;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

fn split_top(tokens: &[String]) -> Vec<&[String]> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (k, t) in tokens.iter().enumerate() {
        match t.as_str() {
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => {
                parts.push(&tokens[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && t.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Identifiers, `::` and single punctuation characters.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_string());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// The code of a file without comments, literals and `#[cfg(test)]` items.
fn code_only(src: &str) -> String {
    let blanked = blank_literals(src);
    let mut out = String::with_capacity(blanked.len());
    let mut rest = blanked.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = &rest[at + "#[cfg(test)]".len()..];
        // Skip the item: up to its `;` or the brace that closes its body.
        let mut depth = 0usize;
        let mut end = rest.len();
        for (k, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `src` with comments, strings and char literals replaced by spaces.
fn blank_literals(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let n = chars.len();
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    while i < n {
        let c = chars[i];
        let prev_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if at(i, "//") {
            while i < n && chars[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            let mut depth = 0;
            while i < n {
                if at(i, "/*") {
                    depth += 1;
                    i += 2;
                } else if at(i, "*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if !prev_ident && (c == 'r' || (c == 'b' && chars.get(i + 1) == Some(&'r'))) && {
            let mut k = i + if c == 'b' { 2 } else { 1 };
            while chars.get(k) == Some(&'#') {
                k += 1;
            }
            chars.get(k) == Some(&'"')
        } {
            let mut k = i + if c == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while chars[k] == '#' {
                hashes += 1;
                k += 1;
            }
            k += 1;
            loop {
                if k >= n {
                    break;
                }
                if chars[k] == '"' && (0..hashes).all(|h| chars.get(k + 1 + h) == Some(&'#')) {
                    k += 1 + hashes;
                    break;
                }
                k += 1;
            }
            i = k;
            out.push(' ');
        } else if c == '"' {
            i += 1;
            while i < n && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{..}') or a lifetime ('a).
            if chars.get(i + 1) == Some(&'\\') {
                let mut k = i + 2;
                while k < n && chars[k] != '\'' {
                    k += 1;
                }
                i = k + 1;
                out.push(' ');
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push(' ');
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}
