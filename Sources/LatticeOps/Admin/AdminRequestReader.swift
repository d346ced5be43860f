import NIOCore
import NIOHTTP1

/// Collects the parts of one HTTP request, refusing a body past the limit as soon as the
/// `Content-Length` header or the bytes received so far exceed it (so memory stays bounded).
struct AdminRequestReader {
    enum Event {
        case needMore
        case started(HTTPRequestHead)
        case tooLarge(HTTPRequestHead)
        case complete(HTTPRequestHead, [UInt8])
    }

    let bodyBytesMax: Int
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(bodyBytesMax: Int) {
        self.bodyBytesMax = bodyBytesMax
    }

    mutating func consume(_ part: HTTPServerRequestPart) -> Event {
        switch part {
        case .head(let newHead):
            head = newHead
            body = []
            if let length = newHead.headers.first(name: "content-length").flatMap(Int.init), length > bodyBytesMax {
                return .tooLarge(newHead)
            }
            return .started(newHead)
        case .body(var buffer):
            guard let head else { return .needMore }
            guard body.count + buffer.readableBytes <= bodyBytesMax else {
                body = []
                return .tooLarge(head)
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
            return .needMore
        case .end:
            guard let head else { return .needMore }
            self.head = nil
            defer { body = [] }
            return .complete(head, body)
        }
    }
}
