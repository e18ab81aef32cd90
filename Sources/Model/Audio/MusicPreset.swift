import Foundation

extension RunConfig {
    /// The music defaults (`Configs/custom.json`, compiled in so the binary needs no repository):
    /// a CPU-sized network (small ResNet with a pooled stem) and a fixed budget of 48 x 768 excerpts, whatever the
    /// number of liked tracks. Spectrogram flips as shifts, the shifted copies sharing one augmentation, and the
    /// shift term alone as the score: on `bench genres` these lifted track AUROC from 0.53 (noise shifts, both
    /// terms) to 0.93-0.95 on the default split (README, "Measured", which also shows how much the split moves it).
    public static let musicPresetJSON = """
    {
      "dataset_name": "custom",
      "transforms": "audio",
      "model_name": "small_resnet",
      "model_scale": 2,
      "input_img_size": [128, 128],
      "sample_rate": 16000,
      "sample_len": 43740,
      "duplication_factor": 2,
      "epochs": 48,
      "batchsize": 32,
      "excerpts_per_track": 8,
      "epoch_items": 768,
      "val_size": 0.1,
      "optimizer": "adamw",
      "lr": 0.003,
      "weight_decay": 0.0001,
      "lr_scheduler": "cosine",
      "warmup_epochs": 1,
      "save_checkpoint_epochs": 1,
      "eval_test_step": 1000,
      "loss_weights": {"weight_sim": 1.0, "weight_shift": 1.0, "weight_cls": 0.0, "weight_norm": 0.0},
      "temperature": 0.5,
      "two_crops": false,
      "shared_shift_augment": true,
      "audio_shift": "flip",
      "csi_terms": "shift",
      "taste_score": "descriptor",
      "eval_samples": 1,
      "eval_augment": false,
      "eval_train_items": 0,
      "max_excerpts_per_track": 32,
      "seed": 213,
      "device": "cpu",
      "num_workers": 0
    }

    """

    /// The music defaults as a config.
    public static func musicPreset() -> RunConfig {
        // The preset is part of the program; a test keeps it valid and equal to Configs/custom.json.
        try! RunConfig.parse(Data(musicPresetJSON.utf8), sourceName: "built-in music defaults",
                             baseDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), purpose: .inspection)
    }
}
