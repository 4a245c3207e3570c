package geo

import "github.com/paulmach/orb"

// mainlandChinaVertices is the outline's vertex count, the closing vertex
// included; the compiler checks it against the literal below.
const mainlandChinaVertices = 109

// mainlandChina returns a coarse outline of mainland China (the area where
// the GCJ-02 offset applies), as one closed ring of [lon, lat] vertices in
// WGS-84 degrees.
//
// It is hand-drawn from general geographic knowledge, not surveyed data, and
// is meant only to decide whether the GCJ-02 offset applies:
//
//   - At sea it runs 20–80 km off the coast, between mainland China and its
//     neighbours: Korea, Japan (including the Ryukyus), the Philippines and
//     Vietnam's coast and islands in the Gulf of Tonkin are outside, as are
//     Taiwan and Penghu. Hainan is inside.
//   - Around the Pearl River Delta it is drawn more closely, to a few km:
//     Hong Kong (including Lantau and its southern islands) and Macau are
//     cut out, while Shenzhen, Zhuhai and all of Shanwei with its coastal
//     waters are inside.
//   - Land borders are followed only roughly: typically within a few tens
//     of km, in remote stretches (Himalaya, Mongolia, Central Asia) up to
//     about 100 km. Towns facing each other across a border river
//     (Dandong/Sinuiju, Hekou/Lao Cai, Heihe/Blagoveshchensk) are not
//     reliably separated. Kinmen and Matsu, a few km off Fujian,
//     are inside although administered from Taiwan.
//
// It is returned by value, as an array, so no caller can modify a shared
// copy, and it costs a stack copy rather than a heap allocation per call.
func mainlandChina() [mainlandChinaVertices]orb.Point {
	return [...]orb.Point{
		// Korea Bay, then southwards along the coast, at sea.
		{124.10, 39.55},
		{123.40, 38.80}, // off the Changshan islands, Dalian
		{123.10, 37.40}, // off Chengshan cape, Shandong
		{122.30, 35.60},
		{121.50, 34.00},
		{122.60, 32.00}, // Yangtze shoals
		{123.00, 31.00}, // beyond Shengsi islands, Shanghai
		{123.00, 29.90}, // beyond Zhoushan
		{122.40, 28.40},
		{121.30, 27.00},
		{120.50, 26.40},
		{120.10, 25.40}, // Taiwan Strait, off Pingtan
		{119.20, 24.30}, // north-west of Penghu
		{118.00, 23.20},
		{117.20, 22.80}, // off Shantou
		{116.20, 22.30}, // off Shanwei
		{115.00, 22.05},
		// Hong Kong cut-out: its waters east to 114.5°E, the Shenzhen River
		// border, Deep Bay, and its western waters to 113.83°E.
		{114.50, 22.10},
		{114.50, 22.47},
		{114.42, 22.565},
		{114.23, 22.56}, // Sha Tau Kok
		{114.10, 22.54}, // Lo Wu
		{114.03, 22.51},
		{113.93, 22.455}, // Deep Bay
		{113.83, 22.43},
		{113.83, 22.10},
		// Macau cut-out.
		{113.61, 22.04},
		{113.61, 22.215},
		{113.535, 22.215},
		{113.535, 22.04},
		// South coast and around Hainan.
		{112.50, 21.30},
		{111.30, 20.90},
		{111.40, 19.60},
		{110.30, 18.00},
		{109.30, 17.90}, // south of Sanya
		{108.40, 18.40},
		{108.35, 19.50},
		{108.07, 21.50}, // Beilun river mouth, Dongxing / Mong Cai
		// Land border with Vietnam.
		{107.40, 21.75},
		{106.72, 21.98}, // Friendship Pass
		{106.80, 22.80},
		{105.35, 23.40},
		{103.95, 22.52}, // Hekou
		{102.15, 22.40},
		// Laos and Myanmar.
		{101.75, 21.15},
		{100.15, 21.45},
		{99.25, 22.10},
		{98.90, 23.20},
		{97.70, 23.90}, // Ruili
		{97.55, 24.75},
		{98.70, 25.85},
		{98.70, 27.50},
		{97.35, 28.25},
		// Himalaya: India, Bhutan, Nepal.
		{95.40, 29.05},
		{92.10, 27.80},
		{90.30, 28.25},
		{89.00, 27.40}, // Yadong
		{88.10, 27.90},
		{86.90, 28.00}, // Everest
		{84.10, 28.90},
		{81.40, 30.35},
		{79.40, 31.00},
		{78.70, 32.60},
		{78.10, 34.60},
		{77.80, 35.50}, // Karakoram Pass
		{75.00, 36.90},
		// Central Asia.
		{73.50, 39.50},
		{75.50, 40.60},
		{78.00, 41.40},
		{80.20, 42.10},
		{80.35, 44.10}, // Khorgos
		{82.60, 45.25}, // Alashankou
		{82.30, 46.10},
		{83.10, 47.20},
		{85.50, 47.05},
		{87.35, 49.15},
		// Mongolia.
		{90.10, 47.80},
		{91.00, 46.00},
		{95.40, 44.30},
		{96.40, 42.75},
		{101.80, 42.50},
		{105.00, 41.60},
		{110.40, 42.80},
		{111.95, 43.70}, // Erenhot
		{116.00, 45.70},
		{119.70, 46.65},
		{119.90, 47.30},
		{118.50, 47.95},
		{115.60, 47.90},
		// Russia: Argun, Amur, Ussuri.
		{116.70, 49.85},
		{119.20, 50.35},
		{121.50, 53.30},
		{123.30, 53.55}, // Mohe
		{125.60, 53.05},
		{127.50, 50.25}, // Heihe
		{130.60, 48.85},
		{132.50, 47.72},
		{134.75, 48.35}, // Heixiazi island
		{133.10, 45.10},
		{131.85, 45.30}, // Lake Khanka
		{131.25, 44.00},
		{130.60, 42.42}, // Tumen river near its mouth
		// North Korea: Tumen and Yalu rivers.
		{129.90, 42.98},
		{128.10, 42.00}, // Paektu / Changbai
		{128.10, 41.40},
		{126.90, 41.75},
		{126.20, 41.05},
		{124.35, 40.05}, // Dandong
		{124.10, 39.55},
	}
}

// mainlandChinaBound is the outline's bounding box, a cheap first test.
func mainlandChinaBound() orb.Bound {
	return orb.Bound{Min: orb.Point{73.50, 17.90}, Max: orb.Point{134.75, 53.55}}
}

// InChina reports whether a WGS-84 position lies in mainland China as drawn
// by the coarse outline above (boundary included), i.e. whether the GCJ-02
// offset applies there. It is false for NaN or infinite input.
func InChina(lon, lat float64) bool {
	p := orb.Point{lon, lat}
	if !finitePoint(p) || !mainlandChinaBound().Contains(p) {
		return false
	}
	outline := mainlandChina()
	return locateInRing(orb.Ring(outline[:]), p) != ringOutside
}
