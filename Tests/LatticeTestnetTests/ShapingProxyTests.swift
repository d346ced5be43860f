import LatticeOps
import NIOCore
import Testing

@Suite("Shaping proxy", .timeLimit(.minutes(2)))
struct ShapingProxyTests {
    @Test("bytes arrive intact and in order through an unshaped link")
    func test_unshaped_forwardsIntact() async throws {
        let server = try await EchoServer.start()
        let proxy = ShapingProxy(links: [proxyLink(to: server.port)], logger: quietLogger)
        let ports = try await proxy.start()
        let payload = patternBytes(1 << 20, seed: 1)
        let received = try await echo(payload, through: connectClient(port: ports[0]))
        #expect(received == payload)
        let status = proxy.statuses()[0]
        #expect(status.bytesToTarget == payload.count && status.bytesFromTarget == payload.count)
        await proxy.shutdown()
        await server.stop()
    }

    @Test("bytes stay in order through jitter, loss and a bandwidth limit (shaper seeds are random)")
    func test_shaped_keepsOrder() async throws {
        let server = try await EchoServer.start()
        let profile = TestnetLinkProfile(
            delayMilliseconds: 2,
            jitterMilliseconds: 5,
            lossPermille: 20,
            bandwidthBitsPerSecond: 200_000_000
        )
        let proxy = ShapingProxy(links: [proxyLink(to: server.port, profile: profile)], logger: quietLogger)
        let ports = try await proxy.start()
        let payload = patternBytes(512 * 1024, seed: 2)
        let received = try await echo(payload, through: connectClient(port: ports[0]), chunkBytes: 1000)
        #expect(received == payload)
        await proxy.shutdown()
        await server.stop()
    }

    @Test("a small buffer cap holds reads back and resumes them: a 4 MiB transfer completes intact")
    func test_backpressure_resumes() async throws {
        let server = try await EchoServer.start()
        let profile = TestnetLinkProfile(bandwidthBitsPerSecond: 400_000_000)
        let proxy = ShapingProxy(
            links: [proxyLink(to: server.port, profile: profile)],
            logger: quietLogger,
            bufferedBytesMax: 64 * 1024
        )
        let ports = try await proxy.start()
        let payload = patternBytes(4 << 20, seed: 3)
        let received = try await echo(payload, through: connectClient(port: ports[0]), chunkBytes: 64 * 1024)
        #expect(received == payload)
        await proxy.shutdown()
        await server.stop()
    }

    @Test("a 50 ms one-way delay adds at least 100 ms to a round trip")
    func test_delay_addsAtLeastTheDelay() async throws {
        let server = try await EchoServer.start()
        let profile = TestnetLinkProfile(delayMilliseconds: 50)
        let proxy = ShapingProxy(links: [proxyLink(to: server.port, profile: profile)], logger: quietLogger)
        let ports = try await proxy.start()
        let client = try await connectClient(port: ports[0])
        let clock = ContinuousClock()
        let started = clock.now
        let received = try await echo([1, 2, 3], through: client)
        let elapsed = clock.now - started
        #expect(received == [1, 2, 3])
        #expect(elapsed >= .milliseconds(100), "round trip took \(elapsed)")
        await proxy.shutdown()
        await server.stop()
    }

    @Test("partition closes open connections and refuses new ones without reaching the target; heal restores")
    func test_partition_cutsRefusesAndHeals() async throws {
        let server = try await EchoServer.start()
        let proxy = ShapingProxy(links: [proxyLink(to: server.port)], logger: quietLogger)
        let ports = try await proxy.start()

        let open = try await connectClient(port: ports[0])
        try await open.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: [7]))
            var iterator = inbound.makeAsyncIterator()
            #expect(try await iterator.next()?.readableBytes == 1)
            #expect(try proxy.partition("b", "a") == 1)
            var ended = false
            do { ended = try await iterator.next() == nil } catch { ended = true }
            #expect(ended, "the open connection must end when the link is partitioned")
        }
        #expect(server.acceptedConnections == 1)

        // The reset may arrive before the connect completes, or after: both are a refusal.
        if let refused = try? await connectClient(port: ports[0]) {
            let outcome = try await refused.executeThenClose { inbound, _ in await readUntilClosed(inbound) }
            #expect(outcome.bytes == 0)
        }
        #expect(server.acceptedConnections == 1, "a partitioned link must not connect to its target")
        #expect(proxy.statuses()[0].isPartitioned)
        #expect(proxy.statuses()[0].refusedConnections == 1)

        #expect(try proxy.heal("a", "b"))
        let healed = try await echo([9, 8, 7], through: connectClient(port: ports[0]))
        #expect(healed == [9, 8, 7])
        #expect(server.acceptedConnections == 2)
        await proxy.shutdown()
        await server.stop()
    }

    @Test("partitioning a pair that has no link names the nodes")
    func test_partition_unknownPair_throws() async throws {
        let proxy = ShapingProxy(links: [proxyLink(to: 1)], logger: quietLogger)
        #expect(throws: TestnetError.self) { try proxy.partition("a", "z") }
    }
}
