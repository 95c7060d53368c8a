// The reference service of the interop suite, the sample app and the benchmarks.
// Behaviour: sample/server/echo.controller.ts (each method's doc comment says what it does).
namespace go echo

struct Request {
    1: string message
    2: i64 userId
    3: i32 count
}

struct Response {
    1: string message
    2: i32 index
}

exception EchoException {
    1: i32 code
    2: string message
}

service TestService {
    Response Echo(1: Request req) (streaming.mode="bidirectional")
    Response EchoClient(1: Request req) (streaming.mode="client")
    Response EchoServer(1: Request req) (streaming.mode="server")
    Response ServerStreamWithErr(1: Request req) (streaming.mode="server")

    // unary and oneway methods (ping-pong, see pingpong-protocol.md), served on the same port
    Response EchoUnary(1: Request req)
    Response UnaryWithErr(1: Request req) throws (1: EchoException err)
    oneway void Notify(1: Request req)
}
