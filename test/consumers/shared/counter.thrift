// The consumer apps' service: one server-streaming method.
namespace go consumer

struct CountRequest {
    1: string label
    2: i32 count
}

struct CountReply {
    1: string label
    2: i32 index
}

service CounterService {
    CountReply Count(1: CountRequest req) (streaming.mode="server")
}
