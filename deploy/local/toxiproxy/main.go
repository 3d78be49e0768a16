// toxiproxy-server (github.com/Shopify/toxiproxy/v2) with one more toxic, segment_loss, for the chaos suite's
// lossy network. Toxiproxy works on TCP streams, where a lost packet never shows: TCP sends it again and the
// stream waits. segment_loss models exactly that: every `segment` bytes count as one packet, each lost with
// probability `loss`, and a chunk holding a lost one is held back `stall` ms (a retransmission timeout), with
// everything behind it, as TCP's in-order delivery does. No byte is dropped or reordered.
//
//	toxiproxy -host 127.0.0.1 -port 8474
package main

import (
	"flag"
	"math"
	"math/rand"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
)

// SegmentLossToxic holds a chunk back for `Stall` ms when one of its segments is "lost".
type SegmentLossToxic struct {
	// Probability that one segment is lost, 0..1.
	Loss float64 `json:"loss"`
	// Bytes per segment (a TCP segment's payload on Ethernet: 1448).
	Segment int `json:"segment"`
	// Milliseconds a loss holds the stream back: the retransmission timeout.
	Stall int64 `json:"stall"`
}

// The stream queues behind a stall instead of blocking the reader.
func (t *SegmentLossToxic) GetBufferSize() int { return 1024 }

// lostIn is true when at least one of the chunk's segments is lost.
func (t *SegmentLossToxic) lostIn(bytes int) bool {
	segment := t.Segment
	if segment <= 0 {
		segment = 1448
	}
	segments := float64((bytes + segment - 1) / segment)
	return rand.Float64() < 1-math.Pow(1-t.Loss, segments) // #nosec G404 -- a fault model, not a secret
}

func (t *SegmentLossToxic) Pipe(stub *toxics.ToxicStub) {
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if t.lostIn(len(c.Data)) {
				select {
				case <-time.After(time.Duration(t.Stall) * time.Millisecond):
				case <-stub.Interrupt:
					stub.Output <- c // removed meanwhile: nothing is dropped
					return
				}
			}
			stub.Output <- c
		}
	}
}

func main() {
	host := flag.String("host", "127.0.0.1", "address of the HTTP API")
	port := flag.String("port", "8474", "port of the HTTP API")
	flag.Parse()

	toxics.Register("segment_loss", new(SegmentLossToxic))

	level := zerolog.WarnLevel
	if parsed, err := zerolog.ParseLevel(os.Getenv("LOG_LEVEL")); err == nil && parsed != zerolog.NoLevel {
		level = parsed
	}
	logger := zerolog.New(os.Stdout).With().Timestamp().Logger().Level(level)
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), logger)

	failed := make(chan error, 1)
	go func() { failed <- server.Listen(net.JoinHostPort(*host, *port)) }()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	select {
	case err := <-failed:
		logger.Error().Err(err).Msg("API server stopped")
		os.Exit(1)
	case <-signals:
		_ = server.Shutdown()
	}
}
