//! BIAS-1..BIAS-5 (`theorems/BIAS.md`).

lemma!(bias_1, "BIAS-1");
lemma!(bias_2, "BIAS-2");
lemma!(bias_3, "BIAS-3");
lemma!(bias_4, "BIAS-4");
lemma!(bias_5, "BIAS-5");
