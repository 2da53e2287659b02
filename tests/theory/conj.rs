//! CONJ-1.. (`theorems/CONJ.md`): conjectures, with their verdicts.

// CONJ-1 was proved (theorems/CONJ.md), so it is checked like a lemma.
lemma!(conj_1, "CONJ-1");
