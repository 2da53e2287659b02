//! DESC-1..DESC-6 (`theorems/DESC.md`).

lemma!(desc_1, "DESC-1");
lemma!(desc_2, "DESC-2");
lemma!(desc_3, "DESC-3");
lemma!(desc_4, "DESC-4");
refuted_claim!(desc_5, "DESC-5", 2000);
lemma!(desc_6, "DESC-6");
