package roads

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// A reader of the OpenStreetMap PBF format (https://wiki.openstreetmap.org/wiki/PBF_Format):
// a sequence of blobs, each a BlobHeader (length-prefixed) and a Blob holding
// a zlib-compressed (or raw) PrimitiveBlock of nodes, dense nodes, ways and
// relations. Only what a road network needs is decoded: node coordinates,
// ways with their tags and node references.

// pbfHandler receives the decoded elements. Either may be nil (that kind is
// skipped without being decoded).
type pbfHandler struct {
	node func(id int64, lon, lat float64)
	way  func(id int64, tags map[string]string, refs []int64)
}

const (
	maxBlobHeader = 64 << 10
	maxBlob       = 32 << 20
)

// supportedFeatures are the HeaderBlock required_features this reader
// understands; a file needing another (history, say) is refused by name.
var supportedFeatures = map[string]bool{"OsmSchema-V0.6": true, "DenseNodes": true}

// readPBF decodes the file r, calling h for each element in file order.
func readPBF(r io.Reader, h pbfHandler) error {
	var lenBuf [4]byte
	for blobNo := 1; ; blobNo++ {
		if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
			if errors.Is(err, io.EOF) {
				if blobNo == 1 {
					return fmt.Errorf("empty file: not an OSM PBF file")
				}
				return nil
			}
			return fmt.Errorf("blob %d: %w", blobNo, err)
		}
		n := binary.BigEndian.Uint32(lenBuf[:])
		if n == 0 || n > maxBlobHeader {
			return fmt.Errorf("blob %d: header of %d bytes: not an OSM PBF file", blobNo, n)
		}
		hdr := make([]byte, n)
		if _, err := io.ReadFull(r, hdr); err != nil {
			return fmt.Errorf("blob %d: header: %w", blobNo, err)
		}
		typ, size, err := parseBlobHeader(hdr)
		if err != nil {
			return fmt.Errorf("blob %d: %w", blobNo, err)
		}
		if size < 0 || size > maxBlob {
			return fmt.Errorf("blob %d: %d bytes is larger than the format allows", blobNo, size)
		}
		blob := make([]byte, size)
		if _, err := io.ReadFull(r, blob); err != nil {
			return fmt.Errorf("blob %d: %w", blobNo, err)
		}
		if blobNo == 1 && typ != "OSMHeader" {
			return fmt.Errorf("blob 1 is %q, not OSMHeader: not an OSM PBF file", typ)
		}
		if typ != "OSMHeader" && typ != "OSMData" {
			continue // unknown blob types are to be skipped
		}
		data, err := blobData(blob)
		if err != nil {
			return fmt.Errorf("blob %d: %w", blobNo, err)
		}
		if typ == "OSMHeader" {
			if err := checkHeader(data); err != nil {
				return err
			}
			continue
		}
		if err := parsePrimitiveBlock(data, h); err != nil {
			return fmt.Errorf("blob %d: %w", blobNo, err)
		}
	}
}

// field iterates over the fields of a protobuf message.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("bad protobuf tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			x = uint64(u)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("bad protobuf field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

func parseBlobHeader(b []byte) (typ string, size int64, err error) {
	err = fields(b, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			typ = string(v)
		case 3:
			size = int64(int32(x))
		}
		return nil
	})
	return typ, size, err
}

func blobData(b []byte) ([]byte, error) {
	var raw, zdata []byte
	var rawSize int64
	var other string
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			raw = v
		case 2:
			rawSize = int64(int32(x))
		case 3:
			zdata = v
		case 4:
			other = "lzma"
		case 5:
			other = "bzip2"
		case 6:
			other = "lz4"
		case 7:
			other = "zstd"
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case raw != nil:
		return raw, nil
	case zdata != nil:
		if rawSize < 0 || rawSize > maxBlob {
			return nil, fmt.Errorf("uncompressed size %d is larger than the format allows", rawSize)
		}
		zr, err := zlib.NewReader(bytes.NewReader(zdata))
		if err != nil {
			return nil, fmt.Errorf("zlib: %w", err)
		}
		out := make([]byte, 0, rawSize)
		buf := bytes.NewBuffer(out)
		if _, err := io.Copy(buf, io.LimitReader(zr, maxBlob+1)); err != nil {
			return nil, fmt.Errorf("zlib: %w", err)
		}
		if buf.Len() > maxBlob {
			return nil, fmt.Errorf("uncompressed block larger than the format allows")
		}
		return buf.Bytes(), nil
	case other != "":
		return nil, fmt.Errorf("%s-compressed blocks are not supported: recompress the file with zlib (osmium cat -o out.osm.pbf --output-format pbf,pbf_compression=zlib)", other)
	}
	return nil, fmt.Errorf("blob without data")
}

func checkHeader(b []byte) error {
	return fields(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		if num == 4 && !supportedFeatures[string(v)] {
			return fmt.Errorf("the file requires the feature %q, which this reader does not support (only OsmSchema-V0.6 and DenseNodes)", v)
		}
		return nil
	})
}

// block is the decoding context of one PrimitiveBlock.
type block struct {
	strings     [][]byte
	granularity int64
	latOffset   int64
	lonOffset   int64
}

func (bl *block) coord(lat, lon int64) (float64, float64) {
	return 1e-9 * float64(bl.lonOffset+bl.granularity*lon), 1e-9 * float64(bl.latOffset+bl.granularity*lat)
}

func (bl *block) str(i uint64) (string, error) {
	if i >= uint64(len(bl.strings)) {
		return "", fmt.Errorf("string index %d outside the string table of %d", i, len(bl.strings))
	}
	return string(bl.strings[i]), nil
}

func parsePrimitiveBlock(b []byte, h pbfHandler) error {
	bl := block{granularity: 100}
	var groups [][]byte
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			return fields(v, func(num protowire.Number, _ protowire.Type, s []byte, _ uint64) error {
				if num == 1 {
					bl.strings = append(bl.strings, s)
				}
				return nil
			})
		case 2:
			groups = append(groups, v)
		case 17:
			bl.granularity = int64(int32(x))
		case 19:
			bl.latOffset = int64(x)
		case 20:
			bl.lonOffset = int64(x)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range groups {
		err := fields(g, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
			switch {
			case num == 1 && h.node != nil:
				return bl.node(v, h)
			case num == 2 && h.node != nil:
				return bl.dense(v, h)
			case num == 3 && h.way != nil:
				return bl.way(v, h)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// packed appends the values of a repeated scalar field, packed or not.
func packed(dst []uint64, typ protowire.Type, v []byte, x uint64) ([]uint64, error) {
	if typ != protowire.BytesType {
		return append(dst, x), nil
	}
	for len(v) > 0 {
		u, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return nil, fmt.Errorf("bad packed field: %w", protowire.ParseError(n))
		}
		dst = append(dst, u)
		v = v[n:]
	}
	return dst, nil
}

func (bl *block) node(b []byte, h pbfHandler) error {
	var id, lat, lon int64
	err := fields(b, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
		switch num {
		case 1:
			id = protowire.DecodeZigZag(x)
		case 8:
			lat = protowire.DecodeZigZag(x)
		case 9:
			lon = protowire.DecodeZigZag(x)
		}
		return nil
	})
	if err != nil {
		return err
	}
	x, y := bl.coord(lat, lon)
	h.node(id, x, y)
	return nil
}

func (bl *block) dense(b []byte, h pbfHandler) error {
	var ids, lats, lons []uint64
	var err error
	err = fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			ids, err = packed(ids, typ, v, x)
		case 8:
			lats, err = packed(lats, typ, v, x)
		case 9:
			lons, err = packed(lons, typ, v, x)
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(lats) != len(ids) || len(lons) != len(ids) {
		return fmt.Errorf("dense nodes: %d ids but %d latitudes and %d longitudes", len(ids), len(lats), len(lons))
	}
	var id, lat, lon int64
	for i := range ids {
		id += protowire.DecodeZigZag(ids[i])
		lat += protowire.DecodeZigZag(lats[i])
		lon += protowire.DecodeZigZag(lons[i])
		x, y := bl.coord(lat, lon)
		h.node(id, x, y)
	}
	return nil
}

func (bl *block) way(b []byte, h pbfHandler) error {
	var id int64
	var keys, vals, refs []uint64
	var err error
	err = fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			id = int64(x)
		case 2:
			keys, err = packed(keys, typ, v, x)
		case 3:
			vals, err = packed(vals, typ, v, x)
		case 8:
			refs, err = packed(refs, typ, v, x)
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(keys) != len(vals) {
		return fmt.Errorf("way %d: %d tag keys but %d values", id, len(keys), len(vals))
	}
	tags := make(map[string]string, len(keys))
	for i := range keys {
		k, err := bl.str(keys[i])
		if err != nil {
			return fmt.Errorf("way %d: %w", id, err)
		}
		v, err := bl.str(vals[i])
		if err != nil {
			return fmt.Errorf("way %d: %w", id, err)
		}
		tags[k] = v
	}
	nodes := make([]int64, len(refs))
	var ref int64
	for i, r := range refs {
		ref += protowire.DecodeZigZag(r)
		nodes[i] = ref
	}
	h.way(id, tags, nodes)
	return nil
}
