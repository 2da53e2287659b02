//! The instance JSON parser on arbitrary bytes: it either refuses with a
//! typed error or returns an instance that is well-formed — its gradients
//! at `x0` can be taken, and it round-trips through the writer.
#![no_main]

use std::path::Path;

use cliptheory::direction::GradientsAt;
use cliptheory::instance::Instance;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(instance) = Instance::from_json_str(text, Path::new("<fuzz>")) else {
        return;
    };
    // Either a typed error (an overflow at x0) or a validated set.
    let _ = instance.gradients_at_start();
    let _ = instance.value(instance.x0());
    let again = Instance::from_json_str(&instance.to_json_string(), Path::new("<round trip>"))
        .expect("a parsed instance round-trips");
    assert_eq!(again.n(), instance.n());
    assert_eq!(again.dim(), instance.dim());
});
