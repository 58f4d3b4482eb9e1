import CPNG
import Core
import Foundation

/// PNG files through libpng's simplified API, which reports errors in `png_image.message`
/// instead of longjmp-ing, so every failure becomes a `LamError` naming the file.
public enum PNG {
  /// The eight bytes every PNG file starts with.
  public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// The largest image `decode` accepts, in bytes of decoded pixels (a guard against
  /// files that claim enormous sizes).
  public static let maxDecodedBytes = 1 << 30

  /// PNG bytes for `image` (8-bit gray, RGB or RGBA); the same image always gives the same bytes.
  public static func encode(_ image: Image) throws -> Data {
    guard image.width > 0 && image.height > 0 else {
      throw LamError("cannot encode an empty \(image.width)x\(image.height) image as PNG")
    }
    var png = png_image()
    png.version = png_uint_32(PNG_IMAGE_VERSION)
    png.width = png_uint_32(image.width)
    png.height = png_uint_32(image.height)
    png.format = format(channels: image.channels)
    let stride = png_int_32(image.width * image.channels)
    var size = 0
    var out = [UInt8]()
    let ok = image.pixels.withUnsafeBytes { pixels -> Bool in
      // First call measures, second call writes.
      guard png_image_write_to_memory(&png, nil, &size, 0, pixels.baseAddress, stride, nil) != 0 else { return false }
      out = [UInt8](repeating: 0, count: size)
      return out.withUnsafeMutableBytes {
        png_image_write_to_memory(&png, $0.baseAddress, &size, 0, pixels.baseAddress, stride, nil) != 0
      }
    }
    guard ok else { throw LamError("cannot encode a \(image.width)x\(image.height) image as PNG (libpng: \(message(png)))") }
    return Data(out.prefix(size))
  }

  /// Writes `image` to `path` through a temporary file and a rename, so an existing file is
  /// replaced whole or not at all.
  public static func write(_ image: Image, to path: String) throws {
    let data: Data
    do {
      data = try encode(image)
    } catch let error as LamError {
      throw LamError("\(path): \(error.message)")
    }
    try Files.writeAtomically(data, to: path)
  }

  /// Reads the PNG at `path` as 8-bit gray, RGB or RGBA: palette images become RGB (RGBA with
  /// transparency), 16-bit samples become 8-bit, gray with alpha becomes RGBA.
  public static func read(_ path: String) throws -> Image {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      var isFolder: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
      throw LamError("\(path): cannot read the file (\(!exists ? "no such file" : isFolder.boolValue ? "it is a folder" : "not readable"))")
    }
    return try decode(data, source: path)
  }

  /// Decodes PNG bytes as `read` does; `source` names where they came from in error messages.
  public static func decode(_ data: Data, source: String) throws -> Image {
    guard data.count >= signature.count, Array(data.prefix(signature.count)) == signature else {
      throw LamError("\(source): not a PNG file (it does not start with the PNG signature)")
    }
    return try data.withUnsafeBytes { bytes -> Image in
      // libpng reads from `bytes` until png_image_finish_read returns, so both calls stay inside.
      var png = png_image()
      png.version = png_uint_32(PNG_IMAGE_VERSION)
      guard png_image_begin_read_from_memory(&png, bytes.baseAddress, bytes.count) != 0 else {
        throw LamError("\(source): not a valid PNG file, truncated or damaged (libpng: \(message(png)))")
      }
      // 16-bit samples without gamma information are sRGB like 8-bit ones (libpng would assume linear).
      png.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)
      let colour = png.format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0
      let alpha = png.format & png_uint_32(PNG_FORMAT_FLAG_ALPHA) != 0
      // Gray with alpha has no Image layout of its own: it is read as RGBA.
      let channels = alpha ? 4 : (colour ? 3 : 1)
      let width = Int(png.width), height = Int(png.height)
      // Both sizes are below 2^32, so the product cannot overflow.
      guard width * height <= maxDecodedBytes / channels else {
        png_image_free(&png)
        throw LamError("\(source): the image is too large (\(width)x\(height) pixels)")
      }
      png.format = format(channels: channels)
      var pixels = [UInt8](repeating: 0, count: width * height * channels)  // [height, width, channels]
      let ok = pixels.withUnsafeMutableBytes {
        png_image_finish_read(&png, nil, $0.baseAddress, png_int_32(width * channels), nil) != 0
      }
      guard ok else { throw LamError("\(source): cannot decode the PNG data, truncated or damaged (libpng: \(message(png)))") }
      return Image(width: width, height: height, channels: channels, pixels: pixels)
    }
  }

  static func format(channels: Int) -> png_uint_32 {
    switch channels {
    case 1: return 0
    case 3: return png_uint_32(PNG_FORMAT_FLAG_COLOR)
    default: return png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
    }
  }

  static func message(_ png: png_image) -> String {
    withUnsafeBytes(of: png.message) { raw in
      String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
  }
}
