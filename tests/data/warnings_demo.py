"A module that warns when imported: the quiet-import test checks that it would see it."
import warnings
warnings.warn("loud")
