"""Loads DIET's weights for prediction without Rasa's one-step training run.

Rasa 3.6 builds a saved TensorFlow model by compiling it and training it for one step on
one example, then overwrites the weights with the saved ones. Tracing that training step
(the CRF's entity loss above all) was 15 of the Rasa server's 25 s of start-up and a few
hundred MB of its memory, for weights that are thrown away. Here the saved weights are
restored as the layers are built by one eager prediction (TensorFlow restores a variable
of a checkpoint when it is created), and the model is checked to hold no weight the
checkpoint did not give it; otherwise Rasa's own way runs. Predictions are the same
(tests/test_model_loading.py).

Installed when the Rasa server imports the NLU components (bank_nlu/__init__.py).
``RASA_FAST_MODEL_LOAD=0`` leaves Rasa's own loading.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.utils.tensorflow.models import RasaModel

from settings import current

logger = logging.getLogger(__name__)

SWITCH = "RASA_FAST_MODEL_LOAD"
_RASA_LOAD = RasaModel.load.__func__


def load_for_prediction(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """``RasaModel.load`` for a model that only predicts; Rasa's own for fine-tuning."""

    def rasa_way() -> RasaModel:
        return _RASA_LOAD(
            cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
            *args, **kwargs,
        )  # fmt: skip

    if finetune_mode or predict_data_example is None:
        return rasa_way()
    model = cls(*args, **kwargs)
    status = model.load_weights(model_file_name)
    eager = model._run_eagerly
    model._run_eagerly = True  # layers built outside a graph take their saved values at once
    try:
        model.run_inference(predict_data_example)
        status.assert_existing_objects_matched()  # every weight the model has was saved
    except (AssertionError, ValueError) as error:
        logger.warning("Loading %s the quick way failed (%s): Rasa's way", cls.__name__, error)
        status.expect_partial()  # this half-built model is dropped: no warning for its values
        return rasa_way()
    finally:
        model._run_eagerly = eager
    status.expect_partial()  # the optimizer's saved slots are for training only
    model.run_inference(predict_data_example)  # traces the prediction graph once, as Rasa does
    return model


def enable() -> None:
    RasaModel.load = classmethod(load_for_prediction)


def disable() -> None:
    RasaModel.load = classmethod(_RASA_LOAD)


def install_from_environment() -> None:
    if current().rasa_fast_model_load:
        enable()
    else:
        disable()
