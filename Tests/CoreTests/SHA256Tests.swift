import Core
import Foundation
import Testing
import TestSupport

// SHA-256 against the FIPS 180-4 example vectors and against the system's sha256sum.

private func sha256(_ text: String) -> String { SHA256.hex(of: Data(text.utf8)) }

private func portable(_ bytes: [UInt8]) -> [UInt8] {
  var hasher = SHA256(hardware: false)
  bytes.withUnsafeBytes { hasher.update($0) }
  return hasher.finalize()
}

@Test("SHA-256 of the empty message, \"abc\" and the 448-bit message are the published digests")
func sha256MatchesTheStandardVectors() {
  #expect(sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  #expect(sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  #expect(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
    == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  // The portable rounds give the same digests (on a CPU with the SHA extensions the default uses the kernel).
  #expect(SHA256.hex(portable([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  #expect(SHA256.hex(portable(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
}

@Test("the SHA-instruction kernel and the portable rounds agree on every length from 0 to 300 bytes and on 1 MB")
func sha256HardwareAndPortableRoundsAgree() {
  var rng = RNG(seed: 5)
  let bytes = (0..<1_000_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
  for length in Array(0...300) + [1_000_000] {
    let message = Array(bytes.prefix(length))
    var hasher = SHA256()
    message.withUnsafeBytes { hasher.update($0) }
    #expect(hasher.finalize() == portable(message), "length \(length)")
  }
}

@Test("one million 'a' fed in uneven pieces hashes to the published digest, and so does any split of it")
func sha256StreamsPiecesOfAnySize() {
  let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
  let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
  // Pieces of 1, 63, 64, 65, 127, 1000 and 4097 bytes, cycling: they straddle block boundaries every way.
  let sizes = [1, 63, 64, 65, 127, 1000, 4097]
  var hasher = SHA256()
  var offset = 0, i = 0
  million.withUnsafeBytes { raw in
    while offset < raw.count {
      let n = min(sizes[i % sizes.count], raw.count - offset)
      hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)]))
      offset += n
      i += 1
    }
  }
  #expect(hasher.finalizeHex() == expected)
  #expect(SHA256.hex(of: Data(million)) == expected)
  // Lengths around the padding boundary (55, 56, 64 bytes) against one-piece hashes of the same bytes.
  for length in [55, 56, 57, 63, 64, 65, 119, 120, 128] {
    let bytes = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37) })
    var split = SHA256()
    split.update(bytes.prefix(length / 3))
    split.update(bytes.dropFirst(length / 3))
    #expect(split.finalize() == { var h = SHA256(); h.update(bytes); return h.finalize() }())
  }
  // Changing one byte changes the digest.
  var changed = million
  changed[500_000] = UInt8(ascii: "b")
  #expect(SHA256.hex(of: Data(changed)) != expected)
}

@Test("the digest of a file the test writes equals what /usr/bin/sha256sum prints for it")
func sha256AgreesWithSha256sum() throws {
  let path = makeTemporaryFolder() + "/bytes.bin"
  var rng = RNG(seed: 11)
  let data = Data((0..<300_001).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
  try data.write(to: URL(fileURLWithPath: path))
  let result = try runProgram("/usr/bin/sha256sum", [path])
  #expect(result.status == 0)
  #expect(result.stdout == "\(SHA256.hex(of: data))  \(path)\n")
  #expect(SHA256().finalize().count == 32)
}
