/// Watches a training run from outside its loop (a measurement beside the run, say): told when the network and
/// the training items are ready, of every event the trainer reports, and when the last epoch is done. The product
/// passes none; what it measures is the watcher's business.
public protocol TrainingObserver: AnyObject {
    /// Before the trainer is made: the network's spec, the settings it trains with and the training items.
    func willTrain<Source: TrainingSource>(spec: NetworkSpec, settings: TrainingSettings, items: Source) throws
    /// Every event, after the training log has recorded it.
    func observe(_ event: TrainingEvent)
    /// After the last epoch (not when the run was stopped).
    func didTrain() throws
}
