//! The library's layers, checked: every top-level module of `src/` uses
//! (`crate::…` outside comments) only modules of its own layer or below,
//! and the module graph has no cycle. The layers are listed in `src/lib.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level modules by layer, lowest first.
const LAYERS: [(&str, &[&str]); 5] = [
    (
        "numeric base",
        &[
            "real",
            "error",
            "files",
            "special",
            "random",
            "progress",
            "tolerance",
            "clipping",
        ],
    ),
    ("model", &["data", "objective", "instance", "npy", "models"]),
    ("methods", &["direction", "incremental", "batch"]),
    (
        "theory",
        &["smooth", "convergence", "generators", "statements"],
    ),
    ("tools", &["explorer", "report", "testing", "prove"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, m)| m.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `module → modules it uses`, from `crate::name` in code (not comments).
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" {
            continue;
        }
        let text = fs::read_to_string(&file).expect("readable");
        let uses = graph.entry(module.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (k, _) in code.match_indices("crate::") {
                let name: String = code[k + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if layer_of(&name).is_some() && name != module {
                    uses.insert(name);
                }
            }
        }
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    for module in dependencies().keys() {
        assert!(
            layer_of(module).is_some(),
            "src/{module}: add it to a layer in tests/architecture.rs and src/lib.rs"
        );
    }
}

/// Uses of a module in a higher layer.
fn upward_uses(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut violations = Vec::new();
    for (module, uses) in graph {
        let own = layer_of(module).unwrap_or(0);
        for used in uses {
            let theirs = layer_of(used).unwrap_or(0);
            if theirs > own {
                violations.push(format!(
                    "{module} ({}) uses {used} ({})",
                    LAYERS[own].0, LAYERS[theirs].0
                ));
            }
        }
    }
    violations
}

/// The modules left on cycles (Kahn: repeatedly remove modules that use
/// nothing left).
fn on_cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    let mut left = graph.clone();
    loop {
        let free: Vec<String> = left
            .iter()
            .filter(|(_, uses)| uses.iter().all(|u| !left.contains_key(u)))
            .map(|(m, _)| m.clone())
            .collect();
        if free.is_empty() {
            break;
        }
        for m in free {
            left.remove(&m);
        }
    }
    left.into_keys().collect()
}

#[test]
fn modules_use_only_their_layer_and_below() {
    let violations = upward_uses(&dependencies());
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn the_module_graph_has_no_cycle() {
    let cycle = on_cycles(&dependencies());
    assert!(cycle.is_empty(), "modules on a cycle: {cycle:?}");
}

/// The checks can fail: the knot this layout replaced (report ↔ smooth ↔
/// incremental ↔ statements) is caught by both.
#[test]
fn the_old_knot_is_caught() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("incremental", ["report", "smooth"].as_slice()),
        ("smooth", &["report"]),
        ("report", &["smooth", "statements"]),
        ("statements", &["incremental"]),
        ("real", &[]),
    ]
    .into_iter()
    .map(|(m, uses)| (m.to_string(), uses.iter().map(|u| u.to_string()).collect()))
    .collect();
    assert_eq!(
        on_cycles(&graph),
        ["incremental", "report", "smooth", "statements"]
            .map(String::from)
            .into()
    );
    assert_eq!(upward_uses(&graph).len(), 3);
}
