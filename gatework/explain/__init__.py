"""The figures a teacher draws, computed: ``python explain.py`` (see docs/gate-math.md).

One module per figure, each with the numbers behind it as plain functions:
``gates`` (gate heatmaps and saturation), ``gradients`` (gradients through time),
``clipping`` (exploding gradients with and without clipping), ``receptive_field`` (which
inputs reach an output, causal and standard convolutions), ``parameters`` (parameter counts
per layer) and ``series`` (level, trend, seasonality, noise and autocorrelation). ``recurrent``
finds and copies a model's recurrent layer; ``study`` builds and briefly trains the small
models the gradient figures compare; ``checkpoint`` reads a train.py run back; ``png`` saves
compact figures.
"""
