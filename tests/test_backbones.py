"""The backbone registry: names, contracts as layers, and clear failures (no network, weights=None)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from course_utils import backbones


def test_every_required_backbone_is_registered_with_published_figures():
    required = {
        "MobileNetV2",
        "MobileNetV2-0.35",
        "MobileNet-0.75",
        "MobileNet-0.25",
        "EfficientNetV2B0",
        "ResNet50",
        "ConvNeXtTiny",
    }
    assert required <= set(backbones.names())
    for backbone in backbones.REGISTRY.values():
        assert 0.4 < backbone.top1 < 0.9 and backbone.params_millions > 0 and backbone.source
        assert backbone.contract in backbones.CONTRACT_TEXT and backbone.default_size == 224


def test_unknown_backbone_names_the_known_ones_and_guesses():
    with pytest.raises(ValueError, match="Did you mean 'MobileNetV2'.*Known backbones"):
        backbones.get("MobilenetV2")


@pytest.mark.parametrize("name", ["MobileNetV2", "ResNet50", "EfficientNetV2B0"])
def test_preprocessing_layer_matches_the_family_preprocess_input(name):
    backbone = backbones.get(name)
    images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    layer_output = np.asarray(backbone.preprocessing()(images))
    np.testing.assert_allclose(layer_output, backbone.preprocess_input(images), rtol=1e-5, atol=1e-3)


def test_caffe_preprocessing_survives_save_and_load(tmp_path):
    import keras

    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, backbones.get("ResNet50").preprocessing()(inputs))
    path = tmp_path / "caffe.keras"
    model.save(path)
    images = np.full((1, 4, 4, 3), 200.0, dtype="float32")
    np.testing.assert_allclose(keras.models.load_model(path)(images), model(images))


def test_create_without_weights_builds_the_headless_base():
    base = backbones.get("MobileNet-0.25").create((96, 96, 3), weights=None)
    assert base.output_shape == (None, 3, 3, 256)


def test_missing_weights_become_weights_unavailable_with_the_fix(monkeypatch):
    import keras

    from course_utils.assets.download_guard import AssetUnavailableError

    def offline(**kwargs):
        raise AssetUnavailableError("Keras needs 'mobilenet_2_5_224_tf_no_top.h5' ...")

    monkeypatch.setattr(keras.applications, "MobileNet", offline)
    with pytest.raises(
        backbones.WeightsUnavailable, match="MobileNet-0.25.*assets fetch --with-optional.*mobilenet_2_5"
    ):
        backbones.get("MobileNet-0.25").create((96, 96, 3))


def test_a_failed_download_leaves_no_downloading_line_but_a_real_one_shows_its_progress(monkeypatch, capsys):
    import keras

    from course_utils.assets.download_guard import AssetUnavailableError

    def offline(**kwargs):
        print("Downloading data from https://example.invalid/weights.h5")
        raise AssetUnavailableError("not in the mirror")

    monkeypatch.setattr(keras.applications, "MobileNet", offline)
    with pytest.raises(backbones.WeightsUnavailable):
        backbones.get("MobileNet-0.25").create((96, 96, 3))
    assert "Downloading" not in capsys.readouterr().out

    def online(**kwargs):
        print("Downloading data from https://example.invalid/weights.h5")
        print("1/1 [====] done")
        return "model"

    monkeypatch.setattr(keras.applications, "MobileNet", online)
    assert backbones.get("MobileNet-0.25").create((96, 96, 3)) == "model"
    assert capsys.readouterr().out.splitlines() == [
        "Downloading data from https://example.invalid/weights.h5",
        "1/1 [====] done",
    ]


def test_other_errors_are_not_disguised_as_missing_weights():
    with pytest.raises(ValueError):
        backbones.get("MobileNet-0.25").create((96, 96, 3), weights="no_such_file.h5")


class _TimedModel:
    """A stand-in for a Keras model whose ``predict`` takes a set number of seconds on a clock the test controls."""

    def __init__(self, clock: list[float], seconds: list[float]):
        self.clock, self.seconds, self.calls = clock, list(seconds), []

    def predict(self, x, batch_size, verbose):
        self.calls.append((x.shape, batch_size))
        self.clock[0] += self.seconds.pop(0)


def test_throughput_is_the_images_of_the_fastest_repeat_over_its_seconds(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(backbones, "time", SimpleNamespace(perf_counter=lambda: clock[0]))  # its clock only
    model = _TimedModel(clock, seconds=[50.0, 4.0, 2.0, 8.0])  # the warm-up (untimed), then three repeats
    assert backbones.throughput(model, 8, images=64, batch_size=16, repeats=3) == pytest.approx(64 / 2.0)
    assert model.calls == [((16, 8, 8, 3), 16)] + [((64, 8, 8, 3), 16)] * 3 and not model.seconds

    model = _TimedModel(clock, seconds=[1.0, 0.5])
    assert backbones.throughput(model, 4, images=100, batch_size=32, repeats=1) == pytest.approx(96 / 0.5)
    assert model.calls[-1] == ((96, 4, 4, 3), 32)  # whole batches only: 3 x 32 of the 100 asked for


def test_a_saved_caffe_model_loads_in_a_fresh_process(tmp_path):
    import subprocess
    import sys

    import keras

    inputs = keras.Input((2, 2, 3))
    keras.Model(inputs, backbones.get("ResNet50").preprocessing()(inputs)).save(tmp_path / "caffe.keras")
    code = (
        "import course_utils.backbones, keras, numpy as np; "
        f"m = keras.models.load_model({str(tmp_path / 'caffe.keras')!r}); "
        "print(float(np.asarray(m(np.zeros((1, 2, 2, 3), 'float32')))[0, 0, 0, 0]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert abs(float(out.stdout.strip().splitlines()[-1]) + 103.939) < 1e-3  # channel 0 is blue after the flip
