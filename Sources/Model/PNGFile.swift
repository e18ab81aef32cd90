import CPng
import Foundation

/// A PNG file's problem (unreadable, not a PNG, damaged), naming the file.
public struct PNGError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// 8-bit RGB images in PNG files, through libpng's simplified API (any PNG colour type is converted to RGB).
public enum PNGFile {
    /// The image as interleaved RGB bytes, row by row.
    public static func read(path: String) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        var image = png_image()
        image.version = cpng_image_version
        guard png_image_begin_read_from_file(&image, path) != 0 else { throw failure(&image, path: path, doing: "read") }
        image.format = cpng_format_rgb
        let width = Int(image.width), height = Int(image.height)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        guard png_image_finish_read(&image, nil, &rgb, 0, nil) != 0 else { throw failure(&image, path: path, doing: "decode") }
        return (width, height, rgb)
    }

    /// Writes interleaved RGB bytes as a PNG file.
    public static func write(rgb: [UInt8], width: Int, height: Int, to path: String) throws {
        precondition(rgb.count == width * height * 3, "RGB bytes do not match the size")
        var image = png_image()
        image.version = cpng_image_version
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = cpng_format_rgb
        guard png_image_write_to_file(&image, path, 0, rgb, 0, nil) != 0 else { throw failure(&image, path: path, doing: "write") }
    }

    private static func failure(_ image: inout png_image, path: String, doing action: String) -> PNGError {
        let message = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        png_image_free(&image)
        return PNGError(description: "cannot \(action) the PNG image \(path): \(message)")
    }
}

extension ImageSet {
    /// One PNG image as a one-image set of `height` x `width` planar RGB (bilinear resize when the sizes differ).
    public static func png(at path: String, height: Int, width: Int) throws -> ImageSet {
        let file = try PNGFile.read(path: path)
        var planar = [UInt8](repeating: 0, count: 3 * height * width)
        for y in 0..<height {
            let sourceY = min(Double(file.height - 1), max(0, (Double(y) + 0.5) * Double(file.height) / Double(height) - 0.5))
            let y0 = Int(sourceY), y1 = min(y0 + 1, file.height - 1), fy = sourceY - Double(y0)
            for x in 0..<width {
                let sourceX = min(Double(file.width - 1), max(0, (Double(x) + 0.5) * Double(file.width) / Double(width) - 0.5))
                let x0 = Int(sourceX), x1 = min(x0 + 1, file.width - 1), fx = sourceX - Double(x0)
                for c in 0..<3 {
                    func pixel(_ px: Int, _ py: Int) -> Double { Double(file.rgb[(py * file.width + px) * 3 + c]) }
                    let top = pixel(x0, y0) * (1 - fx) + pixel(x1, y0) * fx
                    let bottom = pixel(x0, y1) * (1 - fx) + pixel(x1, y1) * fx
                    planar[(c * height + y) * width + x] = UInt8(max(0, min(255, (top * (1 - fy) + bottom * fy).rounded())))
                }
            }
        }
        return ImageSet(channels: 3, height: height, width: width, pixels: planar, labels: [0])
    }
}
