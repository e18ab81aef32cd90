import Features

/// CIFAR-style images as a CSI training source: rotation shifts and the image augmentations.
public struct ImageSource: TrainingSource {
    public let images: ImageSet
    public let augmentation: ImageAugmentation

    public init(images: ImageSet, augmentation: ImageAugmentation) {
        self.images = images
        self.augmentation = augmentation
    }

    public var count: Int { images.count }
    public var shape: ItemShape { ItemShape(channels: 3, height: augmentation.height, width: augmentation.width) }

    public func writeTrainingViews(of item: Int, shifts: Int, generator: inout SeededGenerator,
                                   into slots: [UnsafeMutableBufferPointer<Float>]) {
        withImage(item) { image in
            for view in 0..<2 {
                // Every shift of one view shares the view's flip: each starts from the same generator.
                let viewGenerator = generator.derived(UInt64(view))
                for shift in 0..<shifts {
                    var viewRandom = viewGenerator
                    var slotRandom = generator.derived(UInt64(16 + view * shifts + shift))
                    augmentation.trainingView(of: image, imageHeight: images.height, imageWidth: images.width, shift: shift,
                                              viewRandom: &viewRandom, slotRandom: &slotRandom, into: slots[view * shifts + shift])
                }
            }
        }
    }

    public func writeCleanInput(of item: Int, into slot: UnsafeMutableBufferPointer<Float>) {
        images.copyImage(at: item, into: slot)
        augmentation.normalize(slot)
    }

    public func writeEvaluationSample(of item: Int, shift: Int, shifts: Int, augmented: Bool, generator: inout SeededGenerator,
                                      into slot: UnsafeMutableBufferPointer<Float>) {
        withImage(item) { image in
            guard augmented else {
                augmentation.shiftedView(of: image, imageHeight: images.height, imageWidth: images.width, shift: shift, into: slot)
                return
            }
            var viewRandom = generator.derived(0)
            augmentation.trainingView(of: image, imageHeight: images.height, imageWidth: images.width, shift: shift,
                                      viewRandom: &viewRandom, slotRandom: &generator, into: slot)
        }
    }

    private func withImage(_ item: Int, _ body: (UnsafeBufferPointer<Float>) -> Void) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: images.imageSize) { buffer in
            images.copyImage(at: item, into: buffer)
            body(UnsafeBufferPointer(buffer))
        }
    }
}
