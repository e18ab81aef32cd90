import Foundation
import TestSupport
import XCTest
@testable import Model

final class RunConfigTests: XCTestCase {
    /// Loads `json` from a file in a fresh folder; returns the error it throws, failing if none.
    private func loadError(_ json: String, purpose: RunConfig.Purpose = .inspection,
                           file: StaticString = #filePath, line: UInt = #line) throws -> ConfigError {
        let url = try write(json, to: "run.json", in: makeTemporaryDirectory())
        do {
            _ = try RunConfig.load(contentsOf: url, purpose: purpose)
        } catch {
            XCTAssertTrue(error.description.contains(url.path), "names the file: \(error)", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), "one line: \(error)", file: file, line: line)
            return error
        }
        XCTFail("expected a ConfigError", file: file, line: line)
        throw XCTSkip("no error")
    }

    func testPartialFileKeepsDefaults() throws {
        let url = try write(#"{"epochs": 7, "loss_weights": {"weight_norm": 0.5}}"#, to: "run.json", in: makeTemporaryDirectory())
        let config = try RunConfig.load(contentsOf: url, purpose: .inspection)
        XCTAssertEqual(config.epochs, 7)
        XCTAssertEqual(config.batchSize, 32)
        XCTAssertEqual(config.lossWeights, LossWeights(similarity: 1, shift: 1, classification: 0, norm: 0.5, temperature: 0.5))
        XCTAssertEqual(config.temperature, 0.5)
        XCTAssertEqual(config.evalSamples, 4)
        XCTAssertEqual(config.device, .cpu)
    }

    func testUnknownKeySuggestsNearest() throws {
        let error = try loadError(#"{"epoch": 5}"#)
        XCTAssertEqual(error.kind, .unknownKey(suggestion: "epochs"))
        XCTAssertEqual(error.key, "epoch")
        XCTAssertTrue(error.description.contains("did you mean 'epochs'"), error.description)
    }

    func testUnknownKeyFarFromAnyHasNoSuggestion() throws {
        let error = try loadError(#"{"colour_of_the_sky": 5}"#)
        XCTAssertEqual(error.kind, .unknownKey(suggestion: nil))
        XCTAssertFalse(error.description.contains("did you mean"))
    }

    func testUnknownNestedLossWeight() throws {
        let error = try loadError(#"{"loss_weights": {"weight_simm": 1}}"#)
        XCTAssertEqual(error.kind, .unknownKey(suggestion: "weight_sim"))
        XCTAssertEqual(error.key, "loss_weights.weight_simm")
    }

    func testWrongTypes() throws {
        for (json, key) in [(#"{"epochs": "ten"}"#, "epochs"), (#"{"epochs": true}"#, "epochs"), (#"{"epochs": 1.5}"#, "epochs"),
                            (#"{"deterministic_run": 1}"#, "deterministic_run"), (#"{"lr": "0.1"}"#, "lr"),
                            (#"{"input_img_size": 32}"#, "input_img_size"), (#"{"loss_weights": {"weight_sim": "x"}}"#, "loss_weights.weight_sim"),
                            (#"{"audio_augmentations": "reverb"}"#, "audio_augmentations"), (#"{"crop_scale_min": "0.5"}"#, "crop_scale_min"),
                            (#"{"eval_augment": "no"}"#, "eval_augment")] {
            let error = try loadError(json)
            XCTAssertEqual(error.kind, .wrongType, json)
            XCTAssertEqual(error.key, key, json)
            XCTAssertTrue(error.description.contains("'\(key)'"), error.description)
        }
    }

    func testWholeNumbersWrittenAsRealsAreIntegers() throws {
        let url = try write(#"{"epochs": 1e3, "batchsize": 64.0}"#, to: "run.json", in: makeTemporaryDirectory())
        let config = try RunConfig.load(contentsOf: url, purpose: .inspection)
        XCTAssertEqual(config.epochs, 1000)
        XCTAssertEqual(config.batchSize, 64)
    }

    func testOutOfRange() throws {
        let cases = [(#"{"duplication_factor": 5}"#, "duplication_factor"), (#"{"val_size": 1.0}"#, "val_size"),
                     (#"{"lr": 0}"#, "lr"), (#"{"model_name": "resnet", "model_scale": 6}"#, "model_scale"),
                     (#"{"target_class": 10}"#, "target_class"), (#"{"input_img_size": [32]}"#, "input_img_size"),
                     (#"{"dataset_mean": [0.5, 0.5]}"#, "dataset_mean"), (#"{"dataset_std": [0.2, 0, 0.2]}"#, "dataset_std"),
                     (#"{"transforms": "audio"}"#, "transforms"),
                     (#"{"optimizer": "adam"}"#, "optimizer"), (#"{"crop_scale_min": 0}"#, "crop_scale_min"),
                     (#"{"audio_augmentations": ["reverb", "filtr"]}"#, "audio_augmentations"),
                     (#"{"pitch_shift": "librosa"}"#, "pitch_shift"), (#"{"score_checkpoint": "first"}"#, "score_checkpoint")]
        for (json, key) in cases {
            let error = try loadError(json)
            XCTAssertEqual(error.kind, .outOfRange, json)
            XCTAssertEqual(error.key, key, json)
        }
        XCTAssertTrue(try loadError(#"{"optimizer": "adam"}"#).description.contains("did you mean \"adamw\""))
        XCTAssertTrue(try loadError(#"{"audio_augmentations": ["filtr"]}"#).description.contains("did you mean \"filter\""))
    }

    func testAudioImageSizeMustMatchTheMelImage() throws {
        let error = try loadError(#"{"dataset_name": "custom", "transforms": "audio", "input_img_size": [64, 64]}"#)
        XCTAssertEqual(error.kind, .outOfRange)
        XCTAssertEqual(error.key, "input_img_size")
        XCTAssertTrue(error.description.contains("set input_img_size to [128, 128]"), error.description)
        XCTAssertEqual(try loadError(#"{"sample_len": 1024}"#).key, "sample_len")
    }

    func testScaleRangeDependsOnModel() throws {
        let url = try write(#"{"model_name": "efficientnet", "model_scale": 8}"#, to: "run.json", in: makeTemporaryDirectory())
        XCTAssertEqual(try RunConfig.load(contentsOf: url, purpose: .inspection).modelScale, 8)
        XCTAssertEqual(try loadError(#"{"model_name": "small_resnet", "model_scale": 3}"#).key, "model_scale")
    }

    func testImageNetWeightsAreRefused() throws {
        let error = try loadError(#"{"model_weights": "imagenet"}"#)
        XCTAssertEqual(error.kind, .unsupported)
        XCTAssertEqual(error.key, "model_weights")
        XCTAssertTrue(error.message.contains("ImageNet weights cannot be had offline"), error.message)
    }

    func testCUDAIsRefused() throws {
        let error = try loadError(#"{"device": "cuda"}"#)
        XCTAssertEqual(error.kind, .unsupported)
        XCTAssertEqual(error.key, "device")
        XCTAssertTrue(error.message.contains("CPU-only"), error.message)
    }

    func testInvalidJSONNamesFileAndLine() throws {
        let error = try loadError("{\n  \"epochs\": 5\n  \"lr\": 0.1\n}")
        XCTAssertEqual(error.kind, .invalidJSON)
        XCTAssertNil(error.key)
        XCTAssertTrue(error.description.contains("line 3"), error.description)
        XCTAssertEqual(try loadError("[1, 2]").kind, .invalidJSON)
    }

    func testUnreadableFile() throws {
        let url = try makeTemporaryDirectory().appendingPathComponent("absent.json")
        XCTAssertThrowsError(try RunConfig.load(contentsOf: url, purpose: .inspection)) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .unreadable)
        }
    }

    func testMissingDataFolderSaysHowToGetCIFAR() throws {
        let error = try loadError(#"{"path_data": "nowhere"}"#, purpose: .training)
        XCTAssertEqual(error.kind, .missingPath)
        XCTAssertEqual(error.key, "path_data")
        XCTAssertTrue(error.message.contains("cifar-10-binary.tar.gz"), error.message)
    }

    func testMissingMTTFolderSaysHowItMustLook() throws {
        let error = try loadError(#"{"dataset_name": "mtt", "transforms": "audio", "path_data": "nowhere"}"#, purpose: .training)
        XCTAssertEqual(error.key, "path_data")
        XCTAssertTrue(error.message.contains("annotations_final.csv (tab-separated"), error.message)
    }

    func testEvaluationNeedsCheckpoint() throws {
        let folder = try makeTemporaryDirectory()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        let url = try write(#"{"path_data": "data", "path_checkpoint": "best.ckpt"}"#, to: "eval.json", in: folder)
        XCTAssertThrowsError(try RunConfig.load(contentsOf: url, purpose: .evaluation)) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .missingPath)
            XCTAssertEqual((error as? ConfigError)?.key, "path_checkpoint")
        }
        try write("weights", to: "best.ckpt", in: folder)
        XCTAssertNoThrow(try RunConfig.load(contentsOf: url, purpose: .evaluation))
    }

    func testRelativePathsResolveAgainstTheConfigFile() throws {
        let folder = try makeTemporaryDirectory()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        let url = try write(#"{"path_data": "data", "log_dir": "../logs"}"#, to: "run.json", in: folder)
        let config = try RunConfig.load(contentsOf: url, purpose: .training)
        XCTAssertEqual(config.dataPath, folder.appendingPathComponent("data").standardizedFileURL.path)
        XCTAssertEqual(config.logDirectory, folder.deletingLastPathComponent().appendingPathComponent("logs").standardizedFileURL.path)
    }

    func testOverridesAreValidatedAndNameTheCommandLine() throws {
        let base = RunConfig()
        let changed = try base.overriding(["epochs=3", "optimizer=lars", "lr_scheduler=null", "loss_weights.weight_norm=0.1",
                                           "input_img_size=[64,64]"], purpose: .inspection)
        XCTAssertEqual(changed.epochs, 3)
        XCTAssertEqual(changed.warmupEpochs, 10, "unchanged keys keep their values")
        XCTAssertEqual(changed.effectiveWarmupEpochs, 3)
        XCTAssertEqual(changed.optimizer, .lars)
        XCTAssertNil(changed.lrScheduler)
        XCTAssertEqual(changed.lossWeights.norm, 0.1)
        XCTAssertEqual(changed.lossWeights.similarity, 1)
        XCTAssertEqual(changed.inputImageSize, [64, 64])
        XCTAssertThrowsError(try base.overriding(["epochs=abc"], purpose: .inspection)) { error in
            let error = error as! ConfigError
            XCTAssertEqual(error.kind, .wrongType)
            XCTAssertEqual(error.source, "command line")
            XCTAssertTrue(error.description.contains("command line"))
        }
        XCTAssertThrowsError(try base.merging(["epohcs": 3], purpose: .inspection)) { error in
            XCTAssertEqual((error as! ConfigError).kind, .unknownKey(suggestion: "epochs"))
        }
        XCTAssertThrowsError(try base.overriding(["epochs"], purpose: .inspection))
    }

    func testCrossKeyErrorNamesTheSourceThatSetTheKey() throws {
        let url = try write(#"{"model_scale": 4}"#, to: "run.json", in: makeTemporaryDirectory())
        let config = try RunConfig.load(contentsOf: url, purpose: .inspection)
        XCTAssertThrowsError(try config.merging(["model_name": "small_resnet"], purpose: .inspection)) { error in
            let error = error as! ConfigError
            XCTAssertEqual(error.key, "model_scale")
            XCTAssertEqual(error.source, url.path)
        }
    }

    func testEffectiveJSONRoundTrips() throws {
        let folder = try makeTemporaryDirectory()
        var config = try RunConfig().overriding(["epochs=12", "dataset_mean=[0.1,0.2,0.3]", "model_weights=w.ckpt",
                                                 #"audio_augmentations=["gain","reverb"]"#], purpose: .inspection)
        config.logDirectory = "/tmp/run \"quoted\""
        let text = config.json()
        for key in RunConfig.schema { XCTAssertTrue(text.contains("\"\(key.name)\":"), key.name) }
        let url = try write(text, to: "effective.json", in: folder)
        let again = try RunConfig.load(contentsOf: url, purpose: .inspection)
        XCTAssertEqual(again.json(), text)
        XCTAssertEqual(again.datasetMean, [0.1, 0.2, 0.3])
        XCTAssertEqual(again.audioAugmentations, [.gain, .reverb])
    }

    func testMarkdownTableHasARowPerKey() {
        let table = RunConfig.markdownTable()
        let rows = table.split(separator: "\n")
        XCTAssertEqual(rows.count, RunConfig.schema.count + 2)
        XCTAssertTrue(table.contains("| duplication_factor | int | 4 | 1…4 |"), table)
        XCTAssertEqual(Set(RunConfig.schema.map(\.name)).count, RunConfig.schema.count, "no key twice")
        XCTAssertTrue(RunConfig.schema.allSatisfy { !$0.help.isEmpty })
    }

    private let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Configs")

    /// Configs/README.md carries the generated key table; UPDATE_CONFIG_TABLE=1 rewrites it.
    func testConfigsReadmeHasTheCurrentTable() throws {
        let url = configs.appendingPathComponent("README.md")
        var text = try String(contentsOf: url, encoding: .utf8)
        let marker = "<!-- key table: generated by RunConfig.markdownTable() -->\n"
        let start = try XCTUnwrap(text.range(of: marker), "README lacks the table marker")
        if ProcessInfo.processInfo.environment["UPDATE_CONFIG_TABLE"] == "1" {
            text = String(text[..<start.upperBound]) + RunConfig.markdownTable()
            try Data(text.utf8).write(to: url)
        }
        XCTAssertEqual(String(text[start.upperBound...]), RunConfig.markdownTable(),
                       "run `UPDATE_CONFIG_TABLE=1 swift test --filter testConfigsReadmeHasTheCurrentTable`")
    }

    func testShippedConfigsAreValid() throws {
        let full = try RunConfig.load(contentsOf: configs.appendingPathComponent("cifar10.json"), purpose: .inspection)
        XCTAssertEqual(full.modelScale, 5)
        XCTAssertEqual(full.epochs, 1000)
        let quick = try RunConfig.load(contentsOf: configs.appendingPathComponent("cifar10-quick.json"), purpose: .inspection)
        XCTAssertEqual(quick.modelName, .smallResNet)
        XCTAssertEqual(quick.evalSamples, 2)
        XCTAssertEqual(quick.evalTrainItems, 1000)
        XCTAssertEqual(quick.cropScaleMin, 0.8)
        XCTAssertTrue(quick.evalAugment, "CIFAR scores augmented samples, as CSI")
        let hour = try RunConfig.load(contentsOf: configs.appendingPathComponent("cifar10-hour.json"), purpose: .inspection)
        XCTAssertEqual(hour.modelName, quick.modelName)
        XCTAssertGreaterThan(hour.epochs, 5 * quick.epochs)
        let mtt = try RunConfig.load(contentsOf: configs.appendingPathComponent("mtt.json"), purpose: .inspection)
        XCTAssertEqual(mtt.datasetName, .mtt)
        XCTAssertEqual(mtt.transforms, .audio)
        XCTAssertEqual(mtt.epochs, 500)
        XCTAssertEqual(mtt.duplicationFactor, 4)
        XCTAssertEqual(mtt.sampleLength, 43740)
    }

    func testEditDistance() {
        XCTAssertEqual(editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(editDistance("", "abc"), 3)
        XCTAssertEqual(editDistance("abc", ""), 3)
        XCTAssertEqual(nearest(to: "batch_size", among: RunConfig.schema.map(\.name)), "batchsize")
    }
}
