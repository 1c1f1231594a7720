# >256 constants in one code object: LOAD_CONST needs EXTENDED_ARG.
acc = []
acc.append('c000')
acc.append('c001')
acc.append('c002')
acc.append('c003')
acc.append('c004')
acc.append('c005')
acc.append('c006')
acc.append('c007')
acc.append('c008')
acc.append('c009')
acc.append('c010')
acc.append('c011')
acc.append('c012')
acc.append('c013')
acc.append('c014')
acc.append('c015')
acc.append('c016')
acc.append('c017')
acc.append('c018')
acc.append('c019')
acc.append('c020')
acc.append('c021')
acc.append('c022')
acc.append('c023')
acc.append('c024')
acc.append('c025')
acc.append('c026')
acc.append('c027')
acc.append('c028')
acc.append('c029')
acc.append('c030')
acc.append('c031')
acc.append('c032')
acc.append('c033')
acc.append('c034')
acc.append('c035')
acc.append('c036')
acc.append('c037')
acc.append('c038')
acc.append('c039')
acc.append('c040')
acc.append('c041')
acc.append('c042')
acc.append('c043')
acc.append('c044')
acc.append('c045')
acc.append('c046')
acc.append('c047')
acc.append('c048')
acc.append('c049')
acc.append('c050')
acc.append('c051')
acc.append('c052')
acc.append('c053')
acc.append('c054')
acc.append('c055')
acc.append('c056')
acc.append('c057')
acc.append('c058')
acc.append('c059')
acc.append('c060')
acc.append('c061')
acc.append('c062')
acc.append('c063')
acc.append('c064')
acc.append('c065')
acc.append('c066')
acc.append('c067')
acc.append('c068')
acc.append('c069')
acc.append('c070')
acc.append('c071')
acc.append('c072')
acc.append('c073')
acc.append('c074')
acc.append('c075')
acc.append('c076')
acc.append('c077')
acc.append('c078')
acc.append('c079')
acc.append('c080')
acc.append('c081')
acc.append('c082')
acc.append('c083')
acc.append('c084')
acc.append('c085')
acc.append('c086')
acc.append('c087')
acc.append('c088')
acc.append('c089')
acc.append('c090')
acc.append('c091')
acc.append('c092')
acc.append('c093')
acc.append('c094')
acc.append('c095')
acc.append('c096')
acc.append('c097')
acc.append('c098')
acc.append('c099')
acc.append('c100')
acc.append('c101')
acc.append('c102')
acc.append('c103')
acc.append('c104')
acc.append('c105')
acc.append('c106')
acc.append('c107')
acc.append('c108')
acc.append('c109')
acc.append('c110')
acc.append('c111')
acc.append('c112')
acc.append('c113')
acc.append('c114')
acc.append('c115')
acc.append('c116')
acc.append('c117')
acc.append('c118')
acc.append('c119')
acc.append('c120')
acc.append('c121')
acc.append('c122')
acc.append('c123')
acc.append('c124')
acc.append('c125')
acc.append('c126')
acc.append('c127')
acc.append('c128')
acc.append('c129')
acc.append('c130')
acc.append('c131')
acc.append('c132')
acc.append('c133')
acc.append('c134')
acc.append('c135')
acc.append('c136')
acc.append('c137')
acc.append('c138')
acc.append('c139')
acc.append('c140')
acc.append('c141')
acc.append('c142')
acc.append('c143')
acc.append('c144')
acc.append('c145')
acc.append('c146')
acc.append('c147')
acc.append('c148')
acc.append('c149')
acc.append('c150')
acc.append('c151')
acc.append('c152')
acc.append('c153')
acc.append('c154')
acc.append('c155')
acc.append('c156')
acc.append('c157')
acc.append('c158')
acc.append('c159')
acc.append('c160')
acc.append('c161')
acc.append('c162')
acc.append('c163')
acc.append('c164')
acc.append('c165')
acc.append('c166')
acc.append('c167')
acc.append('c168')
acc.append('c169')
acc.append('c170')
acc.append('c171')
acc.append('c172')
acc.append('c173')
acc.append('c174')
acc.append('c175')
acc.append('c176')
acc.append('c177')
acc.append('c178')
acc.append('c179')
acc.append('c180')
acc.append('c181')
acc.append('c182')
acc.append('c183')
acc.append('c184')
acc.append('c185')
acc.append('c186')
acc.append('c187')
acc.append('c188')
acc.append('c189')
acc.append('c190')
acc.append('c191')
acc.append('c192')
acc.append('c193')
acc.append('c194')
acc.append('c195')
acc.append('c196')
acc.append('c197')
acc.append('c198')
acc.append('c199')
acc.append('c200')
acc.append('c201')
acc.append('c202')
acc.append('c203')
acc.append('c204')
acc.append('c205')
acc.append('c206')
acc.append('c207')
acc.append('c208')
acc.append('c209')
acc.append('c210')
acc.append('c211')
acc.append('c212')
acc.append('c213')
acc.append('c214')
acc.append('c215')
acc.append('c216')
acc.append('c217')
acc.append('c218')
acc.append('c219')
acc.append('c220')
acc.append('c221')
acc.append('c222')
acc.append('c223')
acc.append('c224')
acc.append('c225')
acc.append('c226')
acc.append('c227')
acc.append('c228')
acc.append('c229')
acc.append('c230')
acc.append('c231')
acc.append('c232')
acc.append('c233')
acc.append('c234')
acc.append('c235')
acc.append('c236')
acc.append('c237')
acc.append('c238')
acc.append('c239')
acc.append('c240')
acc.append('c241')
acc.append('c242')
acc.append('c243')
acc.append('c244')
acc.append('c245')
acc.append('c246')
acc.append('c247')
acc.append('c248')
acc.append('c249')
acc.append('c250')
acc.append('c251')
acc.append('c252')
acc.append('c253')
acc.append('c254')
acc.append('c255')
acc.append('c256')
acc.append('c257')
acc.append('c258')
acc.append('c259')
acc.append('c260')
acc.append('c261')
acc.append('c262')
acc.append('c263')
acc.append('c264')
acc.append('c265')
acc.append('c266')
acc.append('c267')
acc.append('c268')
acc.append('c269')
acc.append('c270')
acc.append('c271')
acc.append('c272')
acc.append('c273')
acc.append('c274')
acc.append('c275')
acc.append('c276')
acc.append('c277')
acc.append('c278')
acc.append('c279')
acc.append('c280')
acc.append('c281')
acc.append('c282')
acc.append('c283')
acc.append('c284')
acc.append('c285')
acc.append('c286')
acc.append('c287')
acc.append('c288')
acc.append('c289')
acc.append('c290')
acc.append('c291')
acc.append('c292')
acc.append('c293')
acc.append('c294')
acc.append('c295')
acc.append('c296')
acc.append('c297')
acc.append('c298')
acc.append('c299')


def in_function():
    total = 0.0
    total += 0.25
    total += 1.25
    total += 2.25
    total += 3.25
    total += 4.25
    total += 5.25
    total += 6.25
    total += 7.25
    total += 8.25
    total += 9.25
    total += 10.25
    total += 11.25
    total += 12.25
    total += 13.25
    total += 14.25
    total += 15.25
    total += 16.25
    total += 17.25
    total += 18.25
    total += 19.25
    total += 20.25
    total += 21.25
    total += 22.25
    total += 23.25
    total += 24.25
    total += 25.25
    total += 26.25
    total += 27.25
    total += 28.25
    total += 29.25
    total += 30.25
    total += 31.25
    total += 32.25
    total += 33.25
    total += 34.25
    total += 35.25
    total += 36.25
    total += 37.25
    total += 38.25
    total += 39.25
    total += 40.25
    total += 41.25
    total += 42.25
    total += 43.25
    total += 44.25
    total += 45.25
    total += 46.25
    total += 47.25
    total += 48.25
    total += 49.25
    total += 50.25
    total += 51.25
    total += 52.25
    total += 53.25
    total += 54.25
    total += 55.25
    total += 56.25
    total += 57.25
    total += 58.25
    total += 59.25
    total += 60.25
    total += 61.25
    total += 62.25
    total += 63.25
    total += 64.25
    total += 65.25
    total += 66.25
    total += 67.25
    total += 68.25
    total += 69.25
    total += 70.25
    total += 71.25
    total += 72.25
    total += 73.25
    total += 74.25
    total += 75.25
    total += 76.25
    total += 77.25
    total += 78.25
    total += 79.25
    total += 80.25
    total += 81.25
    total += 82.25
    total += 83.25
    total += 84.25
    total += 85.25
    total += 86.25
    total += 87.25
    total += 88.25
    total += 89.25
    total += 90.25
    total += 91.25
    total += 92.25
    total += 93.25
    total += 94.25
    total += 95.25
    total += 96.25
    total += 97.25
    total += 98.25
    total += 99.25
    total += 100.25
    total += 101.25
    total += 102.25
    total += 103.25
    total += 104.25
    total += 105.25
    total += 106.25
    total += 107.25
    total += 108.25
    total += 109.25
    total += 110.25
    total += 111.25
    total += 112.25
    total += 113.25
    total += 114.25
    total += 115.25
    total += 116.25
    total += 117.25
    total += 118.25
    total += 119.25
    total += 120.25
    total += 121.25
    total += 122.25
    total += 123.25
    total += 124.25
    total += 125.25
    total += 126.25
    total += 127.25
    total += 128.25
    total += 129.25
    total += 130.25
    total += 131.25
    total += 132.25
    total += 133.25
    total += 134.25
    total += 135.25
    total += 136.25
    total += 137.25
    total += 138.25
    total += 139.25
    total += 140.25
    total += 141.25
    total += 142.25
    total += 143.25
    total += 144.25
    total += 145.25
    total += 146.25
    total += 147.25
    total += 148.25
    total += 149.25
    total += 150.25
    total += 151.25
    total += 152.25
    total += 153.25
    total += 154.25
    total += 155.25
    total += 156.25
    total += 157.25
    total += 158.25
    total += 159.25
    total += 160.25
    total += 161.25
    total += 162.25
    total += 163.25
    total += 164.25
    total += 165.25
    total += 166.25
    total += 167.25
    total += 168.25
    total += 169.25
    total += 170.25
    total += 171.25
    total += 172.25
    total += 173.25
    total += 174.25
    total += 175.25
    total += 176.25
    total += 177.25
    total += 178.25
    total += 179.25
    total += 180.25
    total += 181.25
    total += 182.25
    total += 183.25
    total += 184.25
    total += 185.25
    total += 186.25
    total += 187.25
    total += 188.25
    total += 189.25
    total += 190.25
    total += 191.25
    total += 192.25
    total += 193.25
    total += 194.25
    total += 195.25
    total += 196.25
    total += 197.25
    total += 198.25
    total += 199.25
    total += 200.25
    total += 201.25
    total += 202.25
    total += 203.25
    total += 204.25
    total += 205.25
    total += 206.25
    total += 207.25
    total += 208.25
    total += 209.25
    total += 210.25
    total += 211.25
    total += 212.25
    total += 213.25
    total += 214.25
    total += 215.25
    total += 216.25
    total += 217.25
    total += 218.25
    total += 219.25
    total += 220.25
    total += 221.25
    total += 222.25
    total += 223.25
    total += 224.25
    total += 225.25
    total += 226.25
    total += 227.25
    total += 228.25
    total += 229.25
    total += 230.25
    total += 231.25
    total += 232.25
    total += 233.25
    total += 234.25
    total += 235.25
    total += 236.25
    total += 237.25
    total += 238.25
    total += 239.25
    total += 240.25
    total += 241.25
    total += 242.25
    total += 243.25
    total += 244.25
    total += 245.25
    total += 246.25
    total += 247.25
    total += 248.25
    total += 249.25
    total += 250.25
    total += 251.25
    total += 252.25
    total += 253.25
    total += 254.25
    total += 255.25
    total += 256.25
    total += 257.25
    total += 258.25
    total += 259.25
    total += 260.25
    total += 261.25
    total += 262.25
    total += 263.25
    total += 264.25
    total += 265.25
    total += 266.25
    total += 267.25
    total += 268.25
    total += 269.25
    total += 270.25
    total += 271.25
    total += 272.25
    total += 273.25
    total += 274.25
    total += 275.25
    total += 276.25
    total += 277.25
    total += 278.25
    total += 279.25
    total += 280.25
    total += 281.25
    total += 282.25
    total += 283.25
    total += 284.25
    total += 285.25
    total += 286.25
    total += 287.25
    total += 288.25
    total += 289.25
    total += 290.25
    total += 291.25
    total += 292.25
    total += 293.25
    total += 294.25
    total += 295.25
    total += 296.25
    total += 297.25
    total += 298.25
    total += 299.25
    return total


print(len(set(acc)), acc[-1], in_function())
