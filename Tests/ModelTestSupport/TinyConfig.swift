import Model

extension RunConfig {
    /// The music preset cut down to train in seconds on tones in a debug build; it trains a network and blends its
    /// score with the descriptors' (the shipped preset trains none), so both paths run.
    public static var tinyMusic: RunConfig {
        var config = RunConfig.musicPreset()
        config.tasteScore = .blend
        config.epochs = 1
        config.excerptsPerTrack = 2
        config.epochItems = 0
        config.batchSize = 4
        config.evalSamples = 1
        config.maxExcerptsPerTrack = 2
        return config
    }
}
