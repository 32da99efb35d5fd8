import { smsSegments } from '../../core/sms-segments';

const gsm = (n: number) => 'a'.repeat(n);
const ucs = (n: number) => 'я'.repeat(n);

describe('smsSegments', () => {
  test('when the body is empty, then it takes no segment', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, units: 0 });
  });

  test.each([
    [1, 1],
    [160, 1],
    [161, 2],
    [153 * 2, 2],
    [153 * 2 + 1, 3],
    [153 * 3, 3],
  ])('when a GSM-7 body has %i characters, then it takes %i segments', (length, segments) => {
    expect(smsSegments(gsm(length))).toEqual({ encoding: 'GSM-7', segments, units: length });
  });

  test('when the body uses the whole GSM-7 alphabet, then it stays GSM-7', () => {
    const body = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà';
    expect(smsSegments(body)).toEqual({ encoding: 'GSM-7', segments: 1, units: body.length });
  });

  test('when the body has extension characters, then each counts two septets', () => {
    expect(smsSegments('^{}\\[~]|€')).toEqual({ encoding: 'GSM-7', segments: 1, units: 18 });
    expect(smsSegments(gsm(158) + '€')).toMatchObject({ segments: 1, units: 160 });
    expect(smsSegments(gsm(159) + '€')).toMatchObject({ segments: 2, units: 161 });
  });

  test('when an extension character would straddle two parts, then it moves whole to the next part', () => {
    // 152 + 2 does not fit in the first 153: the escape and its character go together into part 2.
    expect(smsSegments(gsm(152) + '€' + gsm(151))).toMatchObject({ segments: 2, units: 305 });
    // Straight septet counting would say ceil(306 / 153) = 2.
    expect(smsSegments(gsm(152) + '€' + gsm(152))).toMatchObject({ segments: 3, units: 306 });
  });

  test.each([
    [1, 1],
    [70, 1],
    [71, 2],
    [67 * 2, 2],
    [67 * 2 + 1, 3],
  ])('when a UCS-2 body has %i characters, then it takes %i segments', (length, segments) => {
    expect(smsSegments(ucs(length))).toEqual({ encoding: 'UCS-2', segments, units: length });
  });

  test('when one character is outside GSM-7, then the whole body is UCS-2', () => {
    expect(smsSegments(gsm(100) + 'ç')).toEqual({ encoding: 'UCS-2', segments: 2, units: 101 });
    expect(smsSegments('smart “quotes”')).toMatchObject({ encoding: 'UCS-2' });
  });

  test('when the body has emoji, then each surrogate pair counts two units', () => {
    expect(smsSegments('👋')).toEqual({ encoding: 'UCS-2', segments: 1, units: 2 });
    expect(smsSegments('👋'.repeat(35))).toMatchObject({ segments: 1, units: 70 });
    expect(smsSegments('👋'.repeat(36))).toMatchObject({ segments: 2, units: 72 });
  });

  test('when a surrogate pair would straddle two parts, then it moves whole to the next part', () => {
    expect(smsSegments(ucs(66) + '👋' + ucs(65))).toMatchObject({ segments: 2, units: 133 });
    // 66 + 2 does not fit in 67; straight unit counting would say ceil(134 / 67) = 2.
    expect(smsSegments(ucs(66) + '👋' + ucs(66))).toMatchObject({ segments: 3, units: 134 });
  });
});
