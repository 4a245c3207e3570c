package geo

import "math"

// GCJ-02 ("Mars coordinates") is the obfuscated datum Chinese law requires of
// published maps; Amap/Gaode, Tencent and Google's China tiles use it, and
// BD-09 is Baidu's further offset of it. The formulas below are the widely
// published reconstruction of the GCJ-02 offset (on the Krasovsky 1940
// ellipsoid) and of Baidu's BD-09 offset. They agree with the providers to
// well under a metre.
//
// Outside mainland China (see InChina) providers serve plain WGS-84, so the
// WGS-84 <-> GCJ-02 conversions are the identity there. The BD-09 step is
// applied everywhere, exactly as the standard formula does; outside China
// WGS84ToBD09 therefore equals GCJ02ToBD09 of the unchanged point.

const (
	krasovskyA  = 6378245.0              // semi-major axis, metres
	krasovskyEE = 0.00669342162296594323 // first eccentricity squared
	baiduXPi    = 3.14159265358979324 * 3000.0 / 180.0
)

// Inverse iteration limits (GCJ02ToWGS84, BD09ToGCJ02). 1e-9 degrees is
// about 0.1 mm; the offset is a contraction, so a handful of rounds suffice.
const (
	inverseTolerance = 1e-9
	inverseMaxRounds = 30
)

// WGS84ToGCJ02 converts a WGS-84 (or CGCS2000) position to GCJ-02.
// Positions outside mainland China are returned unchanged.
func WGS84ToGCJ02(lon, lat float64) (float64, float64) {
	if !InChina(lon, lat) {
		return lon, lat
	}
	dLon, dLat := gcjOffset(lon, lat)
	return lon + dLon, lat + dLat
}

// GCJ02ToWGS84 inverts WGS84ToGCJ02 by fixed-point iteration: it stops once
// the forward transform of the estimate is within 1e-9 degrees of the input
// on both axes, or after 30 rounds. The error is far below 0.5 m.
//
// Near the border of the InChina outline the forward transform jumps, so a
// GCJ-02 position may have no exact preimage. The offset inverse is used
// when its result lies in China (the point was shifted by the forward
// transform); otherwise the input is returned unchanged. For a position
// whose preimage lies within about 1e-9 degrees of the outline either
// answer may come back.
func GCJ02ToWGS84(lon, lat float64) (float64, float64) {
	wLon, wLat := lon, lat
	for range inverseMaxRounds {
		dLon, dLat := gcjOffset(wLon, wLat)
		eLon, eLat := lon-(wLon+dLon), lat-(wLat+dLat)
		if math.Abs(eLon) < inverseTolerance && math.Abs(eLat) < inverseTolerance {
			break
		}
		wLon, wLat = wLon+eLon, wLat+eLat
	}
	if !InChina(wLon, wLat) {
		return lon, lat
	}
	return wLon, wLat
}

// GCJ02ToBD09 converts a GCJ-02 position to Baidu's BD-09.
func GCJ02ToBD09(lon, lat float64) (float64, float64) {
	z := math.Sqrt(lon*lon+lat*lat) + 0.00002*math.Sin(lat*baiduXPi)
	theta := math.Atan2(lat, lon) + 0.000003*math.Cos(lon*baiduXPi)
	return z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006
}

// BD09ToGCJ02 converts a BD-09 position to GCJ-02. It starts from the
// published closed-form inverse (good to a few centimetres) and refines it
// by fixed-point iteration so that round trips agree to about 0.1 mm.
func BD09ToGCJ02(lon, lat float64) (float64, float64) {
	x, y := lon-0.0065, lat-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*baiduXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*baiduXPi)
	gLon, gLat := z*math.Cos(theta), z*math.Sin(theta)
	for range inverseMaxRounds {
		bLon, bLat := GCJ02ToBD09(gLon, gLat)
		eLon, eLat := lon-bLon, lat-bLat
		if math.Abs(eLon) < inverseTolerance && math.Abs(eLat) < inverseTolerance {
			break
		}
		gLon, gLat = gLon+eLon, gLat+eLat
	}
	return gLon, gLat
}

// WGS84ToBD09 converts a WGS-84 position to BD-09 via GCJ-02.
func WGS84ToBD09(lon, lat float64) (float64, float64) {
	return GCJ02ToBD09(WGS84ToGCJ02(lon, lat))
}

// BD09ToWGS84 converts a BD-09 position to WGS-84 via GCJ-02.
func BD09ToWGS84(lon, lat float64) (float64, float64) {
	return GCJ02ToWGS84(BD09ToGCJ02(lon, lat))
}

// gcjOffset is the GCJ-02 shift (in degrees) at a WGS-84 position, without
// the InChina test.
func gcjOffset(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105.0, lat-35.0
	dLat = gcjLatShift(x, y)
	dLon = gcjLonShift(x, y)

	// Scale the shift from metres-like units to degrees on the Krasovsky
	// ellipsoid.
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLon, dLat
}

func gcjLatShift(x, y float64) float64 {
	r := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	r += (160.0*math.Sin(y/12.0*math.Pi) + 320.0*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return r
}

func gcjLonShift(x, y float64) float64 {
	r := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	r += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return r
}
