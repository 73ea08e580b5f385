"""Scores how a customer feels, message by message, as a Rasa graph component.

A lexicon of Chinese anger, despair and threat words, intensity markers (repeated
！？。, shouting in capitals, anger emoji) and a weight by intent give a score from
0 (calm) to 1 (strongly negative). Words of self-harm are flagged on their own: they
hand the conversation to a person at once. The result is in the parse data as
``emotion`` (stored with every message), for the handoff policy and the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bank_nlu.normalizer import RAW_TEXT

EMOTION = "emotion"
STRONGLY_NEGATIVE = 0.6  # from here a message counts as strongly negative

SELF_HARM = (
    "不想活",
    "活不下去",
    "自杀",
    "轻生",
    "去死",
    "跳楼",
    "跳河",
    "喝农药",
    "割腕",
    "寻死",
    "了结自己",
    "结束生命",
    "一死了之",
    "死了算了",
    "活着没意思",
    "没法活",
)
ANGER = {
    "骗子": 0.5,
    "垃圾": 0.4,
    "混蛋": 0.6,
    "王八蛋": 0.7,
    "滚": 0.5,
    "他妈": 0.6,
    "妈的": 0.6,
    "tmd": 0.6,
    "操": 0.5,
    "傻逼": 0.7,
    "sb": 0.5,
    "无耻": 0.5,
    "黑心": 0.5,
    "吸血": 0.5,
    "强盗": 0.5,
    "流氓": 0.5,
    "气死": 0.5,
    "愤怒": 0.4,
    "恶心": 0.4,
    "坑人": 0.4,
    "欺人太甚": 0.6,
    "太过分": 0.4,
    "忍无可忍": 0.6,
    "受够了": 0.4,
    "什么破": 0.4,
    "破银行": 0.5,
    "烦死": 0.4,
    "有病": 0.4,
}
DESPAIR = {
    "绝望": 0.6,
    "走投无路": 0.6,
    "崩溃": 0.5,
    "撑不下去": 0.6,
    "没办法了": 0.4,
    "完了": 0.3,
    "求求你": 0.3,
    "救救我": 0.5,
    "没活路": 0.6,
    "逼死": 0.7,
    "家破人亡": 0.7,
    "哭": 0.2,
}
THREAT = {
    "投诉": 0.3,
    "举报": 0.4,
    "曝光": 0.4,
    "媒体": 0.3,
    "起诉": 0.4,
    "告你们": 0.5,
    "报警": 0.4,
    "银保监": 0.4,
    "金融监管": 0.4,
    "12378": 0.4,
    "律师": 0.3,
    "闹": 0.3,
    "找你们算账": 0.6,
}
ANGRY_EMOJI = re.compile("[\U0001f620\U0001f621\U0001f624\U0001f92c\U0001f62d\U0001f622\U0001f494]")
REPEATED_MARKS = re.compile(r"[！!？?。]{3,}")
SHOUTING = re.compile(r"[A-Z]{4,}")
INTENT_WEIGHT = {
    "complain": 1.3,
    "request_human": 1.1,
    "explain_hardship": 1.1,
    "greet": 0.6,
    "thank": 0.3,
    "affirm": 0.6,
    "inform": 0.7,
}


@dataclass(frozen=True)
class Emotion:
    score: float
    self_harm: bool
    cues: list[str]

    @property
    def strongly_negative(self) -> bool:
        return self.self_harm or self.score >= STRONGLY_NEGATIVE

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "self_harm": self.self_harm,
            "strongly_negative": self.strongly_negative,
            "cues": self.cues,
        }


def score_emotion(text: str, intent: str | None = None) -> Emotion:
    lowered = (text or "").lower()
    cues = [word for word in SELF_HARM if word in lowered]
    self_harm = bool(cues)
    raw = 0.0
    for lexicon in (ANGER, DESPAIR, THREAT):
        for word, weight in lexicon.items():
            if word in lowered:
                raw += weight
                cues.append(word)
    intensity = 0.0
    if REPEATED_MARKS.search(text or ""):
        intensity += 0.2
        cues.append("repeated marks")
    if SHOUTING.search(text or ""):
        intensity += 0.2
        cues.append("capitals")
    emoji = len(ANGRY_EMOJI.findall(text or ""))
    if emoji:
        intensity += min(0.1 * emoji, 0.3)
        cues.append("emoji")
    # Intensity only strengthens a message that already carries negative words.
    score = raw * (1 + intensity) if raw else intensity / 2
    score *= INTENT_WEIGHT.get(intent or "", 1.0)
    return Emotion(round(min(score, 1.0) if not self_harm else 1.0, 2), self_harm, cues)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmotionScorer(GraphComponent):
    """Put it after the intent classifier and before FallbackClassifier."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmotionScorer:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            emotion = score_emotion(message.get(RAW_TEXT) or message.get(TEXT) or "", intent)
            message.set(EMOTION, emotion.as_dict(), add_to_output=True)
        return messages
