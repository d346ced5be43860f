import CFuzzerDriver
import LatticeWireFuzz

/// One fuzz iteration (libFuzzer's callback).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    WireFuzzHarness.frameDecoder(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// SwiftPM links an executable's entry point as `<Module>_main`; defining it here hands the
// process to libFuzzer. Run with SWIFT_BACKTRACE=enable=no so ASan's report is not masked.
@_cdecl("FrameDecoderFuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) }
}
