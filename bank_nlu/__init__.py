"""Components that run inside the Rasa server's NLU pipeline.

The action server never imports them.
"""

from bank_nlu.model_loading import install_from_environment

# Imported with the model's components, before any is loaded: DIET loads the quick way.
install_from_environment()
