"""The scoring bin/evaluate reports: entity F1 over (type, span) pairs, the targets' table and
the guard that keeps the independent test sets out of the training data."""
from evaluation.report import TEST_SETS, coincidences, entity_f1, entity_scores, fingerprint, targets


def test_entity_f1_is_micro_averaged_over_types():
    gold = [("月底还3000", "promise_to_pay", [("date", "月底"), ("amount", "3000")]),
            ("我失业了", "explain_hardship", [("hardship_reason", "失业")])]
    found = [("promise_to_pay", [("date", "月底"), ("amount", "300")]),
             ("explain_hardship", [("hardship_reason", "失业")])]
    # 2 right, 1 invented, 1 missed: precision 2/3, recall 2/3
    assert entity_f1(gold, found) == 0.667
    assert entity_scores(gold, found)["amount"]["f1"] == 0.0
    # spans are compared as the classifier sees them: 三千 in traditional, full-width digits
    assert entity_f1([("", "", [("amount", "３０００")])], [("", [("amount", "3000")])]) == 1.0


def test_fingerprint_compares_as_typed_not_as_expanded():
    assert fingerprint("謝謝") == fingerprint("谢谢")  # a copy in disguise is still a copy
    assert fingerprint("👌") != fingerprint("好的")  # a shared meaning is not


def test_coincidences_are_hashes_only():
    assert coincidences() and all(len(h) == 64 and int(h, 16) >= 0 for h in coincidences())


def test_targets_say_by_how_much_a_miss_falls_short():
    def result(f1):
        return {"macro_f1": f1, "entity_f1": 0.9, "entities": {"date": {"f1": 0.9}},
                "labels": ["greet", "thank"], "truth": ["greet", "thank"], "guesses": ["greet", "greet"],
                "per_intent": {"greet": {"f1-score": 0.67}, "thank": {"f1-score": 0.0}}}
    results = {"independent typed": {"this project": {"clean": result(0.93)}},
               "voice-style": {"this project": {"clean": result(0.95)}}}
    rows = "\n".join(targets(results, {"seconds": 200.0, "what": "rasa train", "load_before": "1", "load_after": "1"},
                             {"p95": 10.0, "load": "1"}))
    assert "| typed (independent) macro-F1 ≥ 0.95 | 0.930 | **no** | 2.0 points short: weakest thank 0.00" in rows
    assert "thank→greet ×1" in rows
    assert "| voice-style macro-F1 ≥ 0.9 | 0.950 | yes |" in rows
    assert "20 s over" in rows
    assert set(TEST_SETS) == {"held-out", "independent typed", "voice-style"}
