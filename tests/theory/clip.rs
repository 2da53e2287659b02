//! CLIP-1..CLIP-5 (`theorems/CLIP.md`).

use approx::assert_relative_eq;
use cliptheory::clipping::{clip, Threshold};
use nalgebra::dvector;

lemma!(clip_1, "CLIP-1");
lemma!(clip_2, "CLIP-2");
lemma!(clip_3, "CLIP-3");
lemma!(clip_4, "CLIP-4");
lemma!(clip_5, "CLIP-5");

/// CLIP-1 against values computed by hand: `clip_1((3, 4)) = (0.6, 0.8)`.
#[test]
fn clip_1_hand_computed_values() {
    let gamma = Threshold::new(1.0).unwrap();
    let c = clip(&dvector![3.0, 4.0], gamma).unwrap();
    assert_relative_eq!(c, dvector![0.6, 0.8], max_relative = 1e-15);
    let inside = clip(&dvector![0.3, -0.4], gamma).unwrap();
    assert_eq!(inside, dvector![0.3, -0.4]);
    assert_eq!(
        clip(&dvector![0.0, 0.0], gamma).unwrap(),
        dvector![0.0, 0.0]
    );
    let gamma32 = Threshold::new(2.0f32).unwrap();
    assert_relative_eq!(
        clip(&dvector![0.0f32, -8.0], gamma32).unwrap(),
        dvector![0.0f32, -2.0],
        max_relative = 1e-7
    );
}
