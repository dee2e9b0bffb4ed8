// Thin wrappers over the socket system calls: resolving, binding and configuring sockets.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An address the server listens on.
public struct BoundAddress: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let isIPv6: Bool

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

enum Socket {
    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Binds and listens on every address `host` resolves to. With port 0 the port the
    /// kernel picks for the first address is reused for the others.
    static func listen(host: String, port: Int, backlog: Int32) throws(ServerError) -> [(fd: Int32, address: BoundAddress)] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .resolve(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var infos: [UnsafeMutablePointer<addrinfo>] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            infos.append(info)
            cursor = info.pointee.ai_next
        }
        var result: [(fd: Int32, address: BoundAddress)] = []
        var chosenPort = port
        for info in infos {
            let family = info.pointee.ai_family
            let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw .bind(address: host, reason: errorText()) }
            setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if family == AF_INET6 && infos.count > 1 { setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            var storage = sockaddr_storage()
            memcpy(&storage, info.pointee.ai_addr, Int(info.pointee.ai_addrlen))
            setPort(&storage, chosenPort)
            let bound = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, info.pointee.ai_addrlen) }
            }
            let address = describe(storage)
            guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
                let reason = errorText()
                close(fd)
                for opened in result { close(opened.fd) }
                throw .bind(address: "\(address.host):\(chosenPort)", reason: reason)
            }
            setNonBlocking(fd)
            var actual = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &actual) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            let boundAddress = describe(actual)
            chosenPort = boundAddress.port
            result.append((fd, boundAddress))
        }
        return result
    }

    static func setPort(_ storage: inout sockaddr_storage, _ port: Int) {
        let networkPort = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        withUnsafeMutablePointer(to: &storage) { pointer in
            if Int32(pointer.pointee.ss_family) == AF_INET {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port = networkPort }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port = networkPort }
            }
        }
    }

    static func describe(_ storage: sockaddr_storage) -> BoundAddress {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafePointer(to: &storage) { pointer in
            if Int32(pointer.pointee.ss_family) == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                    return BoundAddress(host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: Int(UInt16(bigEndian: address.pointee.sin_port)), isIPv6: false)
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                var raw = address.pointee.sin6_addr
                inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                return BoundAddress(host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: Int(UInt16(bigEndian: address.pointee.sin6_port)), isIPv6: true)
            }
        }
    }
}
