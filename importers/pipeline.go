package importers

import (
	"runtime"
	"sync"
)

// checkPipeline reads a file's records and checks them on several
// goroutines, handing the results back in file order. Reading and mapping
// columns stay on one goroutine (the reader and the validator's column
// mapping are sequential by nature); the checks proper (values, geometry,
// coordinate conversion, grid placement) are most of the work and run on
// every core, while the caller COPYs the rows already checked.
type checkPipeline struct {
	ordered chan *checkChunk
	quit    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

// checkChunk is a run of consecutive records and, once done is closed,
// their outcomes.
type checkChunk struct {
	recs     []*Record
	colmaps  []map[string]string
	staged   []*staged
	problems [][]Problem
	progress float64 // the reader's progress after the chunk's last record
	end      error   // set on the last chunk: io.EOF or the file's error
	done     chan struct{}
}

const checkChunkSize = 256

// startChecks starts reading r. begin is called once, before the first
// record is prepared, with the first record (it settles the coordinate
// system the validator works in).
func startChecks(r Reader, v *validator, begin func()) *checkPipeline {
	workers := max(runtime.GOMAXPROCS(0), 1)
	p := &checkPipeline{ordered: make(chan *checkChunk, 4*workers), quit: make(chan struct{})}
	work := make(chan *checkChunk, 4*workers)
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for ch := range work {
				for i, rec := range ch.recs {
					ch.staged[i], ch.problems[i] = v.checkResolved(rec, ch.colmaps[i])
				}
				close(ch.done)
			}
		}()
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(work)
		defer close(p.ordered)
		started := false
		ch := newCheckChunk()
		send := func() bool {
			ch.progress = r.Progress()
			select {
			case p.ordered <- ch:
			case <-p.quit:
				return false
			}
			select {
			case work <- ch:
			case <-p.quit:
				return false
			}
			ch = newCheckChunk()
			return true
		}
		for {
			rec, err := r.Next()
			if err != nil {
				ch.end = err
				send()
				return
			}
			if !started {
				started = true
				begin()
			}
			ch.recs = append(ch.recs, rec)
			ch.colmaps = append(ch.colmaps, v.prepare(rec))
			if len(ch.recs) == checkChunkSize && !send() {
				return
			}
		}
	}()
	return p
}

func newCheckChunk() *checkChunk {
	return &checkChunk{
		recs:     make([]*Record, 0, checkChunkSize),
		colmaps:  make([]map[string]string, 0, checkChunkSize),
		staged:   make([]*staged, checkChunkSize),
		problems: make([][]Problem, checkChunkSize),
		done:     make(chan struct{}),
	}
}

// next returns the next chunk in file order once it is checked; nil when
// there is none left (the last chunk carries end).
func (p *checkPipeline) next() *checkChunk {
	ch, ok := <-p.ordered
	if !ok {
		return nil
	}
	<-ch.done
	return ch
}

// stop ends the reading early (a failed COPY) and waits for the goroutines.
func (p *checkPipeline) stop() {
	p.once.Do(func() { close(p.quit) })
	// the chunks already queued may still be checked: let them go
	go func() {
		for range p.ordered {
		}
	}()
	p.wg.Wait()
}
