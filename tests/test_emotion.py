import pytest

from bank_nlu.emotion import score_emotion


@pytest.mark.parametrize(
    "text, intent, strongly_negative",
    [
        ("你们这帮骗子，吸血鬼！！！", "complain", True),
        ("我已经走投无路了，真的崩溃了😭😭", "explain_hardship", True),
        ("再打电话我就去银保监投诉你们，找媒体曝光", "complain", True),
        ("WHAT THE HELL 你们什么破银行", "complain", True),
        ("请问我欠了多少钱", "ask_overdue_status", False),
        ("谢谢你，麻烦了", "thank", False),
        ("我失业了，暂时还不上", "explain_hardship", False),
        ("好的！", "affirm", False),
    ],
)
def test_strongly_negative(text, intent, strongly_negative):
    assert score_emotion(text, intent).strongly_negative is strongly_negative


@pytest.mark.parametrize("text", ["我不想活了", "活不下去了，欠这么多", "干脆跳楼算了", "想自杀"])
def test_self_harm_is_flagged_at_once(text):
    emotion = score_emotion(text, "explain_hardship")
    assert emotion.self_harm and emotion.score == 1.0


def test_intensity_markers_strengthen_negative_words():
    plain = score_emotion("你们太过分了", "complain").score
    intense = score_emotion("你们太过分了！！！😡😡", "complain").score
    assert intense > plain


def test_calm_message_scores_low():
    assert score_emotion("你好，请问怎么还款", "ask_repayment_method").score < 0.2
