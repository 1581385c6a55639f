# tests/interop/convert/test_keras.py: sconv.keras against the Keras layer's own output
"""Conv2D (valid/same, strides 1/2, dilation 2, groups, bias, relu/relu6) and
DepthwiseConv2D from tf_keras (Keras 2) and Keras 3, and a TF-MOT prune_low_magnitude ->
strip_pruning Conv2D: the sconv operator on the NHWC input and on its NCHW transpose equals
the layer's output; the pruned layer keeps exactly TF-MOT's zeros; refusals name the layer."""
import os
import sys
import unittest

import numpy as np

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
import keras  # noqa: E402  (Keras 3)
import tensorflow_model_optimization as tfmot  # noqa: E402
import tf_keras  # noqa: E402  (Keras 2)

import sconv  # noqa: E402
import sconv.keras  # noqa: E402
from oracle import conv_ref  # noqa: E402

FRAMEWORKS = (('tf_keras', tf_keras), ('keras3', keras))
WORST = {}


def conv_cases(K):
    """(what, layer, input NHWC shape) for every configuration checked."""
    L = K.layers
    return [
        ('valid', L.Conv2D(6, 3, padding='valid', use_bias=False), (2, 8, 9, 5)),
        ('same stride 1 bias relu', L.Conv2D(7, 3, padding='same', activation='relu'),
         (1, 8, 9, 5)),
        ('same stride 2 odd sizes', L.Conv2D(6, (3, 4), strides=2, padding='same'),
         (1, 9, 10, 5)),
        ('same stride 2 even sizes', L.Conv2D(6, 3, strides=(2, 1), padding='same'),
         (1, 8, 10, 5)),
        ('dilation 2 same relu6', L.Conv2D(4, 3, dilation_rate=2, padding='same',
                                           activation='relu6'), (1, 9, 8, 5)),
        ('groups 2', L.Conv2D(6, 3, groups=2, padding='valid'), (1, 7, 7, 4)),
        ('1x1 stride 2', L.Conv2D(8, 1, strides=2), (1, 9, 9, 6)),
        ('depthwise same stride 2', L.DepthwiseConv2D(3, strides=2, padding='same',
                                                      depth_multiplier=2), (1, 9, 10, 4)),
        ('depthwise valid relu', L.DepthwiseConv2D(3, activation='relu'), (1, 7, 8, 3)),
    ]


class TestKerasLayers(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        if WORST:
            what, err = max(WORST.items(), key=lambda kv: kv[1])
            print(f'\n  Keras: worst max|sconv - keras| / max|keras| = {err:.2e} ({what})',
                  file=sys.stderr)

    def check_layer(self, what, k, x, input_size, y_keras):
        """sconv.keras.conv2d(k) on x (NHWC) and on its NCHW transpose equals y_keras."""
        layer = sconv.keras.layer(k, input_size)
        w = layer.weights('oihw')
        x_nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        _, bound = conv_ref(x_nchw, w, layer.bias, layer.stride, layer.padding,
                            layer.dilation, layer.groups)
        bound = bound.transpose(0, 2, 3, 1)
        k_terms = w.shape[1] * w.shape[2] * w.shape[3] + 1
        tol = 8 * k_terms * np.finfo(np.float32).eps * (bound + 1e-30)
        for layout, xin, back in (('nhwc', x, lambda y: y),
                                  ('nchw', x_nchw, lambda y: y.transpose(0, 2, 3, 1))):
            conv = sconv.keras.conv2d(k, input_size, layout=layout, threads=1)
            y = back(conv(xin))
            self.assertEqual(y.shape, y_keras.shape, f'{what} {layout}')
            err = np.abs(y.astype(np.float64) - y_keras) - tol
            worst = np.unravel_index(np.argmax(err), err.shape)
            self.assertLessEqual(err[worst], 0, f'{what} {layout}: at {worst} got {y[worst]} '
                                 f'want {y_keras[worst]}')
            rel = float(np.max(np.abs(y - y_keras)) / max(np.max(np.abs(y_keras)), 1e-30))
            WORST[f'{what} {layout}'] = max(WORST.get(f'{what} {layout}', 0.0), rel)
        return layer

    def test_conv_and_depthwise(self):
        for fw, K in FRAMEWORKS:
            for i, (what, k, shape) in enumerate(conv_cases(K)):
                with self.subTest(framework=fw, case=what):
                    rng = np.random.default_rng(100 + i)
                    x = rng.standard_normal(shape).astype(np.float32)
                    k.build(shape)
                    # Random biases: Keras initializes them to zero.
                    k.set_weights([rng.standard_normal(a.shape).astype(np.float32)
                                   for a in k.get_weights()])
                    y_keras = np.asarray(k(x), np.float64)
                    layer = self.check_layer(f'{fw} {what}', k, x, shape[1:3], y_keras)
                    self.assertEqual(layer.name, k.name)

    def test_same_padding_size_from_the_model(self):
        for fw, K in FRAMEWORKS:
            with self.subTest(framework=fw):
                model = K.Sequential([K.Input((9, 10, 3)),
                                      K.layers.Conv2D(4, 3, strides=2, padding='same')])
                k = model.layers[-1]
                self.assertEqual(sconv.keras.layer(k).padding, (1, 0, 1, 1))
                alone = K.layers.Conv2D(4, 3, strides=2, padding='same')
                alone.build((1, 9, 10, 3))
                with self.assertRaises(sconv.InvalidArgumentError) as e:
                    sconv.keras.layer(alone)
                self.assertIn(f"keras: layer '{alone.name}': 'same' padding with stride 2 "
                              'depends on the input size, which is unknown: give the input '
                              'size', str(e.exception))
                stride1 = K.layers.Conv2D(4, 5, padding='same')
                stride1.build((1, 9, 10, 3))
                self.assertEqual(sconv.keras.layer(stride1).padding, (2, 2, 2, 2))

    def test_tfmot_pruned_layer_keeps_its_zeros(self):
        sched = tfmot.sparsity.keras.ConstantSparsity(0.8, begin_step=0, frequency=1)
        model = tf_keras.Sequential([
            tf_keras.layers.InputLayer(input_shape=(10, 9, 6)),
            tfmot.sparsity.keras.prune_low_magnitude(
                tf_keras.layers.Conv2D(16, 3, strides=2, padding='same', activation='relu'),
                pruning_schedule=sched),
        ])
        model.compile(optimizer=tf_keras.optimizers.SGD(learning_rate=0.0), loss='mse')
        rng = np.random.default_rng(7)
        x = rng.standard_normal((1, 10, 9, 6)).astype(np.float32)
        model.fit(x, np.zeros((1, 5, 5, 16), np.float32), batch_size=1, epochs=1, verbose=0,
                  callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
        with self.assertRaises(sconv.UnsupportedError) as e:
            sconv.keras.layer(model.layers[0], (10, 9))
        self.assertIn("is wrapped by TF-MOT's prune_low_magnitude: call "
                      'tfmot.sparsity.keras.strip_pruning on the model first', str(e.exception))
        stripped = tfmot.sparsity.keras.strip_pruning(model)
        k = stripped.layers[0]
        kernel = k.get_weights()[0]
        self.assertEqual(np.count_nonzero(kernel), round(0.2 * kernel.size))
        y_keras = np.asarray(k(x), np.float64)
        layer = self.check_layer('tfmot stripped', k, x, (10, 9), y_keras)
        np.testing.assert_array_equal(layer.mask('hwio'), kernel != 0)
        np.testing.assert_array_equal(layer.weights('hwio'), kernel)
        self.assertEqual(layer.nnz, np.count_nonzero(kernel))

    def test_refusals(self):
        for fw, K in FRAMEWORKS:
            with self.subTest(framework=fw):
                tanh = K.layers.Conv2D(3, 1, activation='tanh', name='tanh_conv')
                tanh.build((1, 4, 4, 2))
                with self.assertRaises(sconv.UnsupportedError) as e:
                    sconv.keras.conv2d(tanh)
                self.assertIn("keras: layer 'tanh_conv': activation 'tanh' has no sconv "
                              'epilogue', str(e.exception))
                self.assertEqual(sconv.keras.layer(tanh).shape, (3, 2, 1, 1))
                dense = K.layers.Dense(3, name='fc')
                with self.assertRaisesRegex(sconv.UnsupportedError,
                                            "keras: layer 'fc' is a Dense: expected Conv2D or "
                                            'DepthwiseConv2D'):
                    sconv.keras.layer(dense)
                sep = K.layers.SeparableConv2D(3, 3, name='sep')
                with self.assertRaisesRegex(sconv.UnsupportedError, "'sep' is a SeparableConv2D"):
                    sconv.keras.layer(sep)
                unbuilt = K.layers.Conv2D(3, 3, name='unbuilt')
                with self.assertRaisesRegex(sconv.InvalidArgumentError,
                                            "keras: layer 'unbuilt' has no weights yet"):
                    sconv.keras.layer(unbuilt)


if __name__ == '__main__':
    unittest.main()
