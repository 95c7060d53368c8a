;; The binary-safe UTF-8 decoder of lib/protocol/utf8.ts for long strings, as WebAssembly: a
;; loop over bytes costs several times less here than in JavaScript, and a peer may send
;; megabytes of header bytes that are not UTF-8. npm run gen:wasm compiles this file into
;; utf8-escape-wasm.ts; test/unit/protocol/utf8-wasm.spec.ts checks that the two agree.
(module
  (memory (export "memory") 1)
  ;; The length of the run of ASCII bytes that starts the n bytes at offset 0, 8 bytes a step.
  (func (export "asciiLength") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $words
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $n)))
        (br_if $done (i64.ne (i64.and (i64.load (local.get $i)) (i64.const 0x8080808080808080)) (i64.const 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $words)))
    (block $end
      (loop $bytes
        (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $end (i32.ge_u (i32.load8_u (local.get $i)) (i32.const 0x80)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $bytes)))
    (local.get $i))
  ;; Decodes the n bytes at offset 0 as UTF-8 into UTF-16 code units at $out (even, >= n),
  ;; each byte outside a well-formed sequence becoming U+DC00 + byte. Returns the unit count.
  (func (export "decode") (param $n i32) (param $out i32) (result i32)
    (local $i i32) (local $u i32) (local $lead i32) (local $s i32) (local $t i32) (local $f i32) (local $cp i32)
    (local $v v128) (local $w v128) (local $retry i32)
    (local.set $u (local.get $out))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; 16 bytes none of which starts a sequence: each is one unit, the byte itself or
        ;; U+DC00 + the byte (b | (b >> 7) * 0xDC00), computed 8 lanes at a time.
        (block $scalar
          (br_if $scalar (i32.lt_u (local.get $i) (local.get $retry)))
          (br_if $scalar (i32.gt_u (i32.add (local.get $i) (i32.const 17)) (local.get $n)))
          (local.set $v (v128.load (local.get $i)))
          ;; A window with a lead byte: bytes one by one until past it (binary that is mostly
          ;; leads would otherwise pay this test for every byte).
          (local.set $retry (i32.add (local.get $i) (i32.const 16)))
          ;; A lead byte (0xC2-0xF4) followed by a continuation byte (0x80-0xBF) may start a
          ;; sequence: those windows go byte by byte. Every other byte is one unit on its own.
          (br_if $scalar
            (v128.any_true
              (v128.and
                (i8x16.le_u
                  (i8x16.sub (local.get $v) (v128.const i8x16 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2 0xc2))
                  (v128.const i8x16 0x32 0x32 0x32 0x32 0x32 0x32 0x32 0x32 0x32 0x32 0x32 0x32 0x32 0x32 0x32 0x32))
                (i8x16.eq
                  (v128.and (v128.load offset=1 (local.get $i)) (v128.const i8x16 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0))
                  (v128.const i8x16 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80)))))
          (local.set $w (i16x8.extend_low_i8x16_u (local.get $v)))
          (v128.store (local.get $u)
            (v128.or (local.get $w)
              (i16x8.mul (i16x8.shr_u (local.get $w) (i32.const 7))
                (v128.const i16x8 0xdc00 0xdc00 0xdc00 0xdc00 0xdc00 0xdc00 0xdc00 0xdc00))))
          (local.set $w (i16x8.extend_high_i8x16_u (local.get $v)))
          (v128.store offset=16 (local.get $u)
            (v128.or (local.get $w)
              (i16x8.mul (i16x8.shr_u (local.get $w) (i32.const 7))
                (v128.const i16x8 0xdc00 0xdc00 0xdc00 0xdc00 0xdc00 0xdc00 0xdc00 0xdc00))))
          (local.set $u (i32.add (local.get $u) (i32.const 32)))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $next))
        (local.set $lead (i32.load8_u (local.get $i)))
        (block $esc
          ;; ASCII, or a byte that cannot start a sequence: one unit, no branch between them
          (if (i32.gt_u (i32.sub (local.get $lead) (i32.const 0xc2)) (i32.const 0x32))
            (then
              (i32.store16 (local.get $u)
                (i32.or (local.get $lead) (i32.mul (i32.shr_u (local.get $lead) (i32.const 7)) (i32.const 0xdc00))))
              (local.set $u (i32.add (local.get $u) (i32.const 2)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
          (br_if $esc (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $n)))
          (local.set $s (i32.load8_u (i32.add (local.get $i) (i32.const 1))))
          (br_if $esc (i32.ne (i32.and (local.get $s) (i32.const 0xc0)) (i32.const 0x80)))
          (if (i32.lt_u (local.get $lead) (i32.const 0xe0))
            (then
              (i32.store16 (local.get $u)
                (i32.or (i32.shl (i32.and (local.get $lead) (i32.const 0x1f)) (i32.const 6))
                        (i32.and (local.get $s) (i32.const 0x3f))))
              (local.set $u (i32.add (local.get $u) (i32.const 2)))
              (local.set $i (i32.add (local.get $i) (i32.const 2)))
              (br $next)))
          (br_if $esc (i32.ge_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
          (local.set $t (i32.load8_u (i32.add (local.get $i) (i32.const 2))))
          (br_if $esc (i32.ne (i32.and (local.get $t) (i32.const 0xc0)) (i32.const 0x80)))
          (if (i32.lt_u (local.get $lead) (i32.const 0xf0))
            (then
              ;; overlong, and UTF-16 surrogates
              (br_if $esc (i32.and (i32.eq (local.get $lead) (i32.const 0xe0)) (i32.lt_u (local.get $s) (i32.const 0xa0))))
              (br_if $esc (i32.and (i32.eq (local.get $lead) (i32.const 0xed)) (i32.ge_u (local.get $s) (i32.const 0xa0))))
              (i32.store16 (local.get $u)
                (i32.or
                  (i32.or (i32.shl (i32.and (local.get $lead) (i32.const 0x0f)) (i32.const 12))
                          (i32.shl (i32.and (local.get $s) (i32.const 0x3f)) (i32.const 6)))
                  (i32.and (local.get $t) (i32.const 0x3f))))
              (local.set $u (i32.add (local.get $u) (i32.const 2)))
              (local.set $i (i32.add (local.get $i) (i32.const 3)))
              (br $next)))
          (br_if $esc (i32.ge_u (i32.add (local.get $i) (i32.const 3)) (local.get $n)))
          (local.set $f (i32.load8_u (i32.add (local.get $i) (i32.const 3))))
          (br_if $esc (i32.ne (i32.and (local.get $f) (i32.const 0xc0)) (i32.const 0x80)))
          ;; overlong, and above U+10FFFF
          (br_if $esc (i32.and (i32.eq (local.get $lead) (i32.const 0xf0)) (i32.lt_u (local.get $s) (i32.const 0x90))))
          (br_if $esc (i32.and (i32.eq (local.get $lead) (i32.const 0xf4)) (i32.ge_u (local.get $s) (i32.const 0x90))))
          (local.set $cp
            (i32.sub
              (i32.or
                (i32.or (i32.shl (i32.and (local.get $lead) (i32.const 0x07)) (i32.const 18))
                        (i32.shl (i32.and (local.get $s) (i32.const 0x3f)) (i32.const 12)))
                (i32.or (i32.shl (i32.and (local.get $t) (i32.const 0x3f)) (i32.const 6))
                        (i32.and (local.get $f) (i32.const 0x3f))))
              (i32.const 0x10000)))
          (i32.store16 (local.get $u) (i32.add (i32.const 0xd800) (i32.shr_u (local.get $cp) (i32.const 10))))
          (i32.store16 (i32.add (local.get $u) (i32.const 2))
            (i32.add (i32.const 0xdc00) (i32.and (local.get $cp) (i32.const 0x3ff))))
          (local.set $u (i32.add (local.get $u) (i32.const 4)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $next))
        ;; not part of a well-formed sequence: escape the lead byte alone
        (i32.store16 (local.get $u) (i32.or (i32.const 0xdc00) (local.get $lead)))
        (local.set $u (i32.add (local.get $u) (i32.const 2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.shr_u (i32.sub (local.get $u) (local.get $out)) (i32.const 1)))
)
