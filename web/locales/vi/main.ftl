# Giao diện chung
skip-to-content = Bỏ qua, tới nội dung chính
footer-tagline = Chuẩn bị, tổ chức và chứng minh kết quả diễn tập an toàn thông tin mạng
nav-label = Điều hướng chính
nav-home = Tổng quan
nav-systems = Hệ thống thông tin
nav-teams = Đội ứng cứu
nav-playbooks = Phương án ứng cứu
nav-orgs = Cơ quan, đơn vị
lang-switch = English
logout = Đăng xuất
none = Không có
yes = Có
no = Không
level-short = Cấp

login-title = Đăng nhập
login-intro = Đăng nhập bằng tài khoản được ban tổ chức cấp.
login-username = Tên đăng nhập
login-password = Mật khẩu
login-submit = Đăng nhập
login-failed = Tên đăng nhập hoặc mật khẩu không đúng.
login-rate-limited = Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.

home-title = Tổng quan
home-intro = Những con số mà đoàn kiểm tra hỏi đầu tiên: hệ thống theo cấp độ, hệ thống cấp độ 3 trở lên chưa có phương án ứng cứu còn hiệu lực, đội ứng cứu chưa đủ 5 chuyên gia.
home-totals = Tổng số
home-systems = Hệ thống thông tin
home-level3-plus = Hệ thống cấp độ 3 trở lên
home-lacking-playbook = Cấp độ 3+ chưa có phương án còn hiệu lực
home-stale-playbooks = Phương án cần rà soát lại
home-teams-below = Đội chưa đủ 5 chuyên gia
home-by-org = Theo cơ quan, đơn vị
home-empty = Chưa có dữ liệu.
field-org = Cơ quan, đơn vị

error-title = Lỗi
error-page-not_found = Không tìm thấy trang
error-page-forbidden = Vai trò của bạn không được phép thực hiện thao tác này
error-page-bad_request = Yêu cầu không hợp lệ
error-page-conflict = Xung đột dữ liệu
error-page-validation_failed = Dữ liệu không hợp lệ
error-page-payload_too_large = Dữ liệu gửi lên quá lớn
error-page-rate_limited = Quá nhiều yêu cầu
error-page-unauthorized = Cần đăng nhập
error-page-internal = Lỗi hệ thống
error-page-back = Về trang tổng quan

# Thông báo lỗi bên cạnh trường nhập
error-required = Bắt buộc nhập.
error-too-long = Quá dài.
error-too-many = Quá nhiều mục.
error-invalid = Giá trị không hợp lệ.
error-future-date = Không được là ngày trong tương lai.
error-date-order = Ngày không đúng thứ tự.
error-stage-not-reached = Hồ sơ chưa tới bước này.
error-duplicate = Đã tồn tại.
error-invalid-reference = Không tìm thấy đối tượng được chọn.
error-forbidden = Không được phép.
