"""course_utils helpers on tiny synthetic data: heads, datasets, photos, model weights, fine-tuning, evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import datasets, heads, model_weights, photos


@pytest.fixture
def photo_folder(tmp_path):
    """Two classes of four 20x20 images each; red ones and blue ones."""
    import keras

    for cls, channel in (("blue", 2), ("red", 0)):
        (tmp_path / cls).mkdir()
        for i in range(4):
            pixels = np.zeros((20, 20, 3), dtype="uint8")
            pixels[..., channel] = 200 + i
            keras.utils.save_img(tmp_path / cls / f"{i}.png", pixels)
    return tmp_path


def test_train_heads_learns_each_head_independently():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    signal = (y[:, None] * 2.0 - 1.0 + rng.normal(scale=0.5, size=(400, 3))).astype("float32")
    noise = rng.normal(size=(400, 3)).astype("float32")
    results = heads.train_heads(
        [signal[:300], noise[:300]],
        y[:300],
        [signal[300:], noise[300:]],
        y[300:],
        n_classes=2,
        epochs=20,
        learning_rate=0.05,
    )
    assert results[0].val_accuracy > 0.9
    assert results[1].val_accuracy < 0.75
    assert results[0].train_accuracy > 0.9
    # one True/False per validation example, for paired comparisons, agreeing with the accuracy
    assert results[0].val_correct.shape == (100,) and results[0].val_correct.mean() == results[0].val_accuracy


def test_train_heads_stacks_one_output_per_head_multiclass():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 300)
    signal = rng.normal(size=(300, 3)).astype("float32")
    signal[np.arange(300), y] += 3.0
    noise = rng.normal(size=(300, 5)).astype("float32")
    results = heads.train_heads(
        [signal[:200], noise[:200]], y[:200], [signal[200:], noise[200:]], y[200:], n_classes=3, learning_rate=0.05
    )
    assert results[0].val_accuracy > 0.85 and results[1].val_accuracy < 0.6
    assert results[0].model is results[1].model and results[0].model.output.shape == (None, 2, 3)
    assert results[0].model.get_layer("head_1").get_weights()[0].shape == (5, 3)  # head i reads feature set i


def test_train_head_multiclass_and_flatten():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 300)
    grid = rng.normal(size=(300, 2, 2, 4)).astype("float32")
    grid[np.arange(300), 0, 0, y] += 4.0
    result = heads.train_head(
        grid[:200], y[:200], grid[200:], y[200:], n_classes=3, epochs=20, flatten=True, learning_rate=0.05
    )
    assert result.val_accuracy > 0.9
    assert result.model.count_params() == 2 * 2 * 4 * 3 + 3


def test_accuracy_of_logits():
    assert heads.accuracy_of_logits(np.array([[1.0], [-2.0]]), np.array([1, 1])) == 0.5
    assert heads.accuracy_of_logits(np.array([[0.1, 0.9], [3.0, 0.0]]), np.array([1, 0])) == 1.0


def test_correct_predictions_pairs_each_example_with_its_label():
    import keras

    from course_utils.evaluation import correct_predictions

    x = np.array([[2.0], [-1.0], [3.0], [-4.0]], dtype="float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])  # logit = x
    assert correct_predictions(model, x, np.array([1, 0, 0, 0])).tolist() == [True, True, False, True]
    with pytest.raises(ValueError, match="same order"):
        correct_predictions(model, x, np.array([1, 0]))


def test_icon_batches_make_rgb_images_in_a_fixed_or_fresh_order():
    rng = np.random.default_rng(0)
    icons, labels = rng.integers(0, 256, (10, 28, 28)).astype("uint8"), np.arange(10)
    images, batch_labels = next(iter(datasets.icon_batches(icons, labels, 32, batch_size=10)))
    assert images.shape == (10, 32, 32, 3) and batch_labels.numpy().tolist() == list(range(10))
    assert float(images.numpy().max()) > 200  # pixels stay in [0, 255]: the model preprocesses
    shuffled = datasets.icon_batches(icons, labels, 32, batch_size=10, shuffle=True)
    orders = [next(iter(shuffled))[1].numpy().tolist() for _ in range(2)]
    assert orders[0] != orders[1], "a training pipeline must reshuffle every epoch"
    with pytest.raises(ValueError, match="one grayscale channel"):
        datasets.icon_batches(icons[..., None], labels, 32)


def _epoch_labels(dataset) -> list[int]:
    return [int(y) for _, batch in dataset for y in batch.numpy()]


def test_training_batches_reshuffle_every_epoch_over_the_same_examples():
    import tensorflow as tf

    images = np.zeros((40, 8, 8, 3), "float32")
    pairs = tf.data.Dataset.from_tensor_slices((images, np.arange(40)))
    batches = datasets.training_batches(pairs, batch_size=8, limit=30)
    epochs = [_epoch_labels(batches) for _ in range(3)]
    assert all(sorted(epoch) == list(range(30)) for epoch in epochs)  # the same 30 examples every epoch
    assert epochs[0] != epochs[1] != epochs[2], "a training pipeline must yield a new order every epoch"
    # The mistake the helper avoids: cache() after shuffle() replays epoch 1's order for ever.
    replayed = pairs.shuffle(40, seed=1).cache().batch(8)
    assert _epoch_labels(replayed) == _epoch_labels(replayed)
    with pytest.raises(ValueError, match="batch_size=None"):
        datasets.training_batches(pairs.batch(4), batch_size=8)


def test_standardize_uses_training_statistics():
    train, other = heads.standardize(np.array([[0.0], [2.0]]), np.array([[4.0]]))
    assert np.allclose(train.ravel(), [-1, 1], atol=1e-5) and np.allclose(other.ravel(), [3], atol=1e-5)


def test_image_dataset_and_materialize(photo_folder):
    ds = datasets.image_dataset(photo_folder, image_size=16, batch_size=3, limit=6)
    assert ds.class_names == ["blue", "red"]
    images, labels = datasets.materialize(ds)
    assert images.shape == (6, 16, 16, 3) and images.dtype == np.uint8
    # labels follow the folders: red images (label 1) have their energy in channel 0, blue in channel 2
    means = images.reshape(len(images), -1, 3).mean(axis=1)
    assert all((m[0] > m[2]) == (label == 1) for m, label in zip(means, labels, strict=True))


def test_image_dataset_missing_folder_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="get_file"):
        datasets.image_dataset(tmp_path / "nope", 16, 4)


def test_sample_files_is_reproducible_and_load_images_names_bad_files(photo_folder):
    assert photos.sample_files(photo_folder / "red", 2, seed=1) == photos.sample_files(photo_folder / "red", 2, seed=1)
    assert photos.load_images(photos.sample_files(photo_folder / "red", 2), size=8).shape == (2, 8, 8, 3)
    broken = photo_folder / "red" / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="broken.jpg"):
        photos.load_images([broken], size=8)
    with pytest.raises(FileNotFoundError, match="No images"):
        photos.image_files(photo_folder / "missing")


def test_species_of():
    assert photos.species_of(207) == "dog" and photos.species_of(281) == "cat" and photos.species_of(985) is None


def test_param_counts_and_weight_snapshots():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    assert model_weights.param_counts(model).splitlines() == [
        "Total params: 21",
        "Trainable params: 13",
        "Non-trainable params: 8",
    ]
    before = model_weights.snapshot(model.weights)
    model.layers[-1].kernel.assign(np.ones((4, 1)))
    assert model_weights.changed(before, model.weights) == 1


def _tiny_base():
    import keras

    inputs = keras.Input((6,))
    x = keras.layers.Dense(4, name="d1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.Dense(4, name="d2")(x)
    x = keras.layers.BatchNormalization(name="bn2")(x)
    return keras.Model(inputs, x, name="tiny")


def test_unfreeze_top_keeps_batchnorm_frozen_and_its_statistics_fixed():
    import keras

    from course_utils import finetune

    base = _tiny_base()
    assert finetune.unfreeze_top(base, "d2") == 1
    assert [layer.trainable for layer in base.layers] == [False, False, False, True, False]
    model = keras.Sequential([keras.Input((6,)), base, keras.layers.Dense(1)])
    model.compile("adam", "mse")
    before = finetune.batchnorm_statistics(base)
    rng = np.random.default_rng(0)
    model.fit(rng.normal(3, 2, (32, 6)), rng.normal(size=(32, 1)), epochs=1, batch_size=8, verbose=0)
    assert set(finetune.statistics_drift(before, base).values()) == {0.0}


def test_unfreeze_top_without_the_guard_lets_statistics_drift():
    import keras

    from course_utils import finetune

    base = _tiny_base()
    assert finetune.unfreeze_top(base, 3, keep_batchnorm_frozen=False) == 2
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(1)(base(inputs, training=False)))
    model.compile("adam", "mse")
    before = finetune.batchnorm_statistics(base)
    rng = np.random.default_rng(0)
    model.fit(rng.normal(3, 2, (32, 6)), rng.normal(size=(32, 1)), epochs=1, batch_size=8, verbose=0)
    drift = finetune.statistics_drift(before, base)
    assert drift["bn2"] > 0 and drift["bn1"] == 0.0


def test_unfreeze_top_rejects_unknown_layers():
    from course_utils import finetune

    with pytest.raises(ValueError, match="no layer"):
        finetune.unfreeze_top(_tiny_base(), "block_99")
    with pytest.raises(ValueError, match="outside"):
        finetune.unfreeze_top(_tiny_base(), 99)


def test_confusion_matrix_and_most_confused():
    from course_utils.evaluation import confusion_matrix, most_confused

    matrix = confusion_matrix([0, 0, 1, 1, 1, 2, 2], [0, 1, 1, 2, 2, 2, 0], n_classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 2], [1, 0, 1]]
    assert most_confused(matrix, ["a", "b", "c"], k=2) == [("b", "c", 2), ("a", "b", 1)]
    with pytest.raises(ValueError, match="one prediction per image"):
        confusion_matrix([0, 1], [0], n_classes=2)
    with pytest.raises(ValueError, match="0..1"):
        confusion_matrix([0, 2], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="argmax"):
        confusion_matrix([0, 1], [[0.2, 0.8], [0.9, 0.1]], n_classes=2)
    with pytest.raises(ValueError, match="argmax"):
        confusion_matrix([0, 1], [0.2, 0.9], n_classes=2)


def test_block_boundary_starts_a_whole_block():
    from keras.applications.mobilenet_v2 import MobileNetV2

    from course_utils.finetune import block_boundary

    base = MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None)
    index = block_boundary(base, 0.7)
    assert base.layers[index].name.endswith("_expand") and index >= round(0.7 * len(base.layers))
    assert base.layers[block_boundary(base, 0.0)].name == "block_1_expand"
    with pytest.raises(ValueError, match="fraction"):
        block_boundary(base, 1.0)
    from keras.applications import MobileNet

    v1 = MobileNet(input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.25)
    assert v1.layers[block_boundary(v1, 0.7)].name.startswith(("conv_dw_", "conv_pad_"))


def test_block_of_knows_the_families_naming():
    from course_utils.finetune import block_of

    assert block_of("conv_dw_12") == block_of("conv_pw_12_bn") != block_of("conv_dw_13")
    assert block_of("conv4_block1_1_conv") == block_of("conv4_block1_out") != block_of("conv4_block2_1_conv")
    assert block_of("convnext_tiny_stage_2_block_0_depthwise_conv") is not None
    assert block_of("block2a_expand_conv") == block_of("block2a_project_bn") and block_of("Conv1") is None


def test_backup_folders_follow_every_setting_of_the_run(tmp_path):
    from course_utils.finetune import backup_folder

    first = backup_folder("05_phase2", root=tmp_path, profile="ci", fine_tune_at="block_11_expand", lr=1e-5)
    assert first == backup_folder("05_phase2", root=tmp_path, lr=1e-5, profile="ci", fine_tune_at="block_11_expand")
    assert first != backup_folder("05_phase2", root=tmp_path, profile="ci", fine_tune_at="block_13_expand", lr=1e-5)
    assert first != backup_folder("05_phase2", root=tmp_path, profile="ci", fine_tune_at="block_11_expand", lr=1e-4)
    assert "block_11_expand" in (first / "run.json").read_text()


def _tiny_fit(callbacks, epochs=2):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
    return model.fit(
        x, y, epochs=epochs, verbose=0, callbacks=callbacks if isinstance(callbacks, list) else [callbacks]
    )


def test_a_damaged_backup_is_reported_deleted_and_training_starts_afresh(tmp_path, capsys):
    import keras

    from course_utils.finetune import backup_folder

    def damage(folder):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "latest.weights.h5").write_bytes(b"cut short by a kill")
        (folder / "training_metadata.json").write_text('{"epoch": 1}')

    damage(tmp_path / "plain")
    with pytest.raises((OSError, ValueError)):  # the fault: Keras's own callback cannot get past it, run after run
        _tiny_fit(keras.callbacks.BackupAndRestore(str(tmp_path / "plain")))
    folder = backup_folder("run", root=tmp_path, lr=1e-5)
    damage(folder)
    folder = backup_folder("run", root=tmp_path, lr=1e-5)  # the rerun after the kill
    assert "could not be restored" in capsys.readouterr().out
    history = _tiny_fit(keras.callbacks.BackupAndRestore(str(folder)))
    assert history.epoch == [0, 1]  # from the beginning


def test_a_readable_backup_is_kept_and_restored(tmp_path, capsys):
    import keras

    from course_utils.finetune import backup_folder

    folder = backup_folder("run", root=tmp_path, lr=1e-5)

    class Killed(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _tiny_fit([keras.callbacks.BackupAndRestore(str(folder)), Killed()], epochs=3)
    folder = backup_folder("run", root=tmp_path, lr=1e-5)
    assert "could not be restored" not in capsys.readouterr().out
    history = _tiny_fit(keras.callbacks.BackupAndRestore(str(folder)), epochs=3)
    assert history.epoch == [1, 2]  # resumed after the epoch the kill interrupted


def test_a_random_weights_run_gets_its_own_backup_folder(tmp_path, monkeypatch):
    from course_utils.assets.random_weights import ENV_VAR
    from course_utils.finetune import backup_folder

    pretrained = backup_folder("run", root=tmp_path, lr=1e-5)
    monkeypatch.setenv(ENV_VAR, "1")
    assert backup_folder("run", root=tmp_path, lr=1e-5) != pretrained


def test_image_dataset_names_unreadable_files_and_the_fix(photo_folder):
    (photo_folder / "red" / "empty.jpg").write_bytes(b"")
    good = next((photo_folder / "blue").glob("*.png"))
    (photo_folder / "blue" / "cut.png").write_bytes(good.read_bytes())  # a good PNG: not reported
    (photo_folder / "blue" / "notes.jpg").write_bytes(b"these are not pixels")
    with pytest.raises(ValueError) as error:
        datasets.image_dataset(photo_folder, image_size=16, batch_size=3)
    message = str(error.value)
    assert "2 image file(s)" in message and "empty.jpg: the file is empty" in message
    assert "notes.jpg: it is not a JPG image" in message and "Delete or replace them" in message


def test_a_jpeg_cut_short_is_recognised(tmp_path):
    import keras

    path = tmp_path / "photo.jpg"
    keras.utils.save_img(path, np.full((8, 8, 3), 128, "uint8"))
    assert photos.image_problem(path) is None
    path.write_bytes(path.read_bytes()[:-40])
    assert "cut short" in photos.image_problem(path)


def test_fashion_mnist_splits_are_disjoint_and_sized(monkeypatch):
    import keras

    train = (np.arange(100).reshape(100, 1, 1).repeat(28, 1).repeat(28, 2), np.arange(100) % 10)
    held_out = (np.arange(10_000).reshape(10_000, 1, 1) % 256 * np.ones((1, 28, 28)), np.arange(10_000) % 10)
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", lambda: (train, held_out))
    (x_tr, y_tr), (x_val, _), (x_te, _) = datasets.fashion_mnist_splits(30, 200, seed=1)
    assert x_tr.shape == (30, 28, 28) and len(y_tr) == 30 and len(set(x_tr[:, 0, 0].tolist())) == 30
    # validation from the first half of the test icons, test from the second: never the same icons
    assert (x_val[:, 0, 0] == np.arange(200) % 256).all() and (x_te[:, 0, 0] == np.arange(5_000, 5_200) % 256).all()
    with pytest.raises(ValueError, match="val_images must be 1..5,000"):
        datasets.fashion_mnist_splits(30, 6_000)
    # more icons to test on than to validate on, from the same second half
    (_, _), (x_val, _), (x_te, _) = datasets.fashion_mnist_splits(30, 100, test_images=300, seed=1)
    assert len(x_val) == 100 and (x_te[:, 0, 0] == np.arange(5_000, 5_300) % 256).all()
    with pytest.raises(ValueError, match="test_images must be 1..5,000"):
        datasets.fashion_mnist_splits(30, 100, test_images=0)


def test_standardize_keeps_tiny_features_informative():
    from course_utils.heads import standardize

    rng = np.random.default_rng(0)
    signal = rng.normal(size=(200, 3))
    (tiny,) = standardize(1e-12 * signal)
    (plain,) = standardize(signal)
    assert np.allclose(tiny, plain, atol=1e-4)  # the scale of the features does not matter
    (dead,) = standardize(np.c_[signal, np.zeros(200)])
    assert np.all(dead[:, -1] == 0) and np.isfinite(dead).all()  # a channel that never varies stays 0


def test_colour_agreement_tells_brightness_filters_from_random_ones():
    from course_utils.model_weights import colour_agreement

    rng = np.random.default_rng(0)
    random = rng.normal(size=(3, 3, 3, 32))
    grey = rng.normal(size=(3, 3, 1, 32)).repeat(3, axis=2) + 0.3 * random  # the same pattern in each colour
    assert abs(colour_agreement(random)) < 0.2 < 0.5 < colour_agreement(grey)
    with pytest.raises(ValueError, match="height, width, 3"):
        colour_agreement(np.ones((3, 3, 4, 8)))
