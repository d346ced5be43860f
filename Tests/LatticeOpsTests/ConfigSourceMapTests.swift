import Testing

@testable import LatticeOps

@Suite("Config source map")
struct ConfigSourceMapTests {
    @Test("headers, array-of-table indices, dotted and quoted keys map to their lines")
    func test_sourceMap_findsLines() {
        let text = """
            network = "n"          # 1
            a.b = 1                # 2
            "quoted key" = 2       # 3
            [[peers]]              # 4
            name = "x"             # 5
            [peers.permissions]    # 6
            acme = "read"          # 7
            [[peers]]              # 8
              name = 'y'           # 9
            [sync]                 # 10
            """
        let map = ConfigSourceMap(text: text)
        #expect(map.line(of: "network") == 1)
        #expect(map.line(of: "a.b") == 2)
        #expect(map.line(of: "\"quoted key\"") == 3)
        #expect(map.line(of: "peers") == 4)
        #expect(map.line(of: "peers[0].name") == 5)
        #expect(map.line(of: "peers[0].permissions.acme") == 7)
        #expect(map.line(of: "peers[1]") == 8)
        #expect(map.line(of: "peers[1].name") == 9)
        #expect(map.line(of: "peers[1].public_key") == 8)
        #expect(map.line(of: "sync.durability") == 10)
        #expect(map.line(of: "absent") == nil)
    }

    @Test("text inside multi-line strings and arrays is not taken for keys")
    func test_sourceMap_skipsMultilineValues() {
        let text = """
            note = \"\"\"
            listen = "fake"
            [[peers]]
            \"\"\"
            list = [
              "x = 1",
              [1, 2],
            ]
            literal = '''
            network = "no"
            '''
            listen = "real"
            """
        let map = ConfigSourceMap(text: text)
        #expect(map.line(of: "listen") == 12)
        #expect(map.line(of: "peers") == nil)
        #expect(map.line(of: "network") == nil)
        #expect(map.line(of: "list") == 5)
    }

    @Test("strings containing brackets, quotes and hashes do not confuse the scan")
    func test_sourceMap_stringsWithDelimiters() {
        let text = """
            a = "[{ \\" # ]"
            b = 'x]['
            c = 3
            """
        let map = ConfigSourceMap(text: text)
        #expect(map.line(of: "b") == 2)
        #expect(map.line(of: "c") == 3)
    }
}
