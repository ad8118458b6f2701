"""Models posed only through the pencil engine: expressions, outputs, config keys and
constants, solved by the ordinary path (:mod:`symcollapse.core.compiled`, :mod:`symcollapse.core.solve`)."""
