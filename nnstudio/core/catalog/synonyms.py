"""Other names people search layers by, keyed by spec key (palette, quick-add and CLI share it).

Each entry lists words or phrases a user may type for the layer: names from other frameworks
("linear" for Dense), textbook terms ("fully connected", "deconvolution") and family words
("rnn", "norm"). Matching is by substring of the lower-cased phrase, so keep entries lower case.
"""

from __future__ import annotations

SYNONYMS: dict[str, tuple[str, ...]] = {
    "Input": ("placeholder", "entry", "source"),
    "Dense": ("fully connected", "fc", "linear", "affine", "perceptron", "mlp"),
    "Activation": ("nonlinearity", "non-linearity"),
    "ReLU": ("rectifier", "rectified linear"),
    "LeakyReLU": ("rectifier", "lrelu"),
    "Softmax": ("probabilities", "classifier output"),
    "Dropout": ("regularization", "regularisation"),
    "SpatialDropout1D": ("regularization", "dropout"),
    "SpatialDropout2D": ("regularization", "dropout"),
    "GaussianNoise": ("denoising", "noise"),
    "BatchNormalization": ("norm", "batchnorm", "bn"),
    "LayerNormalization": ("norm", "layernorm", "ln"),
    "GroupNormalization": ("norm", "groupnorm", "gn"),
    "Normalization": ("norm", "standardize", "standardise", "z-score", "scaling"),
    "Conv1D": ("convolution", "temporal convolution", "cnn"),
    "Conv2D": ("convolution", "cnn", "filter"),
    "Conv3D": ("convolution", "volumetric", "cnn"),
    "SeparableConv2D": ("convolution", "depthwise separable", "mobilenet"),
    "DepthwiseConv2D": ("convolution", "mobilenet"),
    "Conv2DTranspose": (
        "deconvolution",
        "deconv",
        "transposed",
        "fractionally strided",
        "upconvolution",
    ),
    "MaxPooling1D": ("downsample", "subsample", "pool"),
    "MaxPooling2D": ("downsample", "subsample", "pool"),
    "AveragePooling1D": ("downsample", "mean pool", "pool"),
    "AveragePooling2D": ("downsample", "mean pool", "pool"),
    "GlobalAveragePooling1D": ("gap", "mean over time", "pool"),
    "GlobalAveragePooling2D": ("gap", "global pool", "pool"),
    "GlobalMaxPooling1D": ("global pool", "pool"),
    "GlobalMaxPooling2D": ("global pool", "pool"),
    "Flatten": ("vectorize", "ravel"),
    "Reshape": ("view", "resize tensor"),
    "Permute": ("transpose axes", "swap axes"),
    "RepeatVector": ("tile", "repeat"),
    "UpSampling2D": ("upsample", "upscale", "unpool", "nearest neighbour", "enlarge"),
    "ZeroPadding2D": ("pad", "padding"),
    "Cropping2D": ("crop", "trim"),
    "SimpleRNN": ("rnn", "recurrent", "elman"),
    "LSTM": ("rnn", "recurrent", "long short-term memory", "long short term memory"),
    "GRU": ("rnn", "recurrent", "gated recurrent unit"),
    "Embedding": ("lookup", "token", "word vectors", "word2vec"),
    "MultiHeadAttention": ("attention", "self-attention", "self attention", "mha", "transformer"),
    "Attention": ("dot-product attention", "luong", "self attention"),
    "Add": ("sum", "residual", "skip connection", "plus"),
    "Subtract": ("difference", "minus"),
    "Multiply": ("product", "gating", "elementwise product", "times"),
    "Average": ("mean", "ensemble"),
    "Maximum": ("max",),
    "Minimum": ("min",),
    "Concatenate": ("concat", "join", "stack", "merge", "cat"),
    "Rescaling": ("scale", "normalize pixels", "divide by 255"),
    "Resizing": ("resize", "rescale image"),
    "RandomFlip": ("augmentation", "mirror", "flip"),
    "RandomRotation": ("augmentation", "rotate"),
    "RandomZoom": ("augmentation", "zoom"),
    "RandomTranslation": ("augmentation", "shift", "translate"),
}


def synonyms_for(key: str) -> tuple[str, ...]:
    """The other names of a layer type (empty for a key without any)."""
    return SYNONYMS.get(key, ())


def keys_for(term: str) -> list[str]:
    """Spec keys whose synonyms contain ``term`` (case-insensitive, substring)."""
    needle = term.strip().lower()
    if not needle:
        return []
    return [key for key, words in SYNONYMS.items() if any(needle in w for w in words)]
