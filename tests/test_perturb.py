import pytest

from evaluation.perturb import COPIES, HOMOPHONES, full_width, one_typo, traditional, with_filler


@pytest.mark.parametrize(
    "text, typo",
    [("逾期会上征信吗", "逾期会上正信吗"), ("罚息怎么算", "法息怎么算"), ("我想分期", "我想分其"),
     ("你好", "你好"), ("谢谢你", "谢些你")],
)
def test_one_homophone_typo(text, typo):
    assert one_typo(text) == typo


def test_every_slip_differs_from_its_word_and_is_a_real_substitution():
    for word, slip in HOMOPHONES:
        assert word != slip and len(word) == len(slip)
        assert one_typo(f"我{word}") == f"我{slip}"


def test_traditional_and_full_width():
    assert traditional("逾期记录会影响征信吗") == "逾期記錄會影響徵信嗎"
    assert full_width("还3000，zrg") == "还３０００，ｚｒｇ"


def test_filler_is_deterministic_by_index():
    assert with_filler("我欠多少钱", 0) == "嗯那个…请问我欠多少钱"
    assert [COPIES["filler"]("罚息", i) for i in range(2)] == ["嗯那个…请问罚息", "你好，罚息，谢谢"]
