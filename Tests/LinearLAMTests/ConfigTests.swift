import Core
import LinearLAM
import Testing

@Test func defaultConfigIsValid() throws {
  try LinearConfig().validate()
}
