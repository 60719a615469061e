"""A saved model holding the registry's Caffe preprocessing layer loads anywhere after one import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np

from course_utils.tooling.paths import ROOT

LOAD = textwrap.dedent(
    """
    import sys

    import keras
    import numpy as np

    path = sys.argv[1]
    try:
        keras.saving.load_model(path, safe_mode=True)
    except Exception as error:
        print("WITHOUT THE IMPORT:", str(error).replace("\\n", " "))
    else:
        print("WITHOUT THE IMPORT: loaded")
    import course_utils.backbones  # registers the layer

    model = keras.saving.load_model(path, safe_mode=True)
    print("OUTPUT", model.predict(np.full((1, 2, 2, 3), 200.0, "float32"), verbose=0).ravel().tolist())
    """
)


def test_a_saved_model_with_caffe_preprocessing_reloads_after_importing_backbones(tmp_path):
    import keras

    from course_utils import backbones

    inputs = keras.Input((2, 2, 3))
    outputs = keras.layers.GlobalAveragePooling2D()(backbones.get("ResNet50").preprocessing()(inputs))
    path = tmp_path / "tiny.keras"
    keras.Model(inputs, outputs).save(path)
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    without = next(line for line in done.stdout.splitlines() if line.startswith("WITHOUT THE IMPORT:"))
    assert "Could not locate class 'CaffePreprocessing'" in without and "import course_utils.backbones" in without
    output = next(line for line in done.stdout.splitlines() if line.startswith("OUTPUT"))
    expected = 200.0 - np.array(backbones.CAFFE_BGR_MEANS)  # BGR means subtracted
    np.testing.assert_allclose(json.loads(output.split(" ", 1)[1]), expected, rtol=1e-5)
